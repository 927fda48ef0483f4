package health_vm

import (
	"crypto/md5"
	"encoding/hex"
)

func md5hex(s string) string { d := md5.Sum([]byte(s)); return hex.EncodeToString(d[:]) }
