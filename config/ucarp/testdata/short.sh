#!/bin/sh
# Two virtual hosts, short options, clustered flags, the lab's capture setup.
/usr/sbin/ucarp -i eth0 -s 10.99.0.1 -v 10 -p s3cr3t -b 1 -k 0 -P -a 10.99.0.100 \
	-u /etc/ucarp/vip-up.sh -d /etc/ucarp/vip-down.sh -zn -x web
exec ucarp --int eth1 --srcip 10.98.0.1 --vhid=11 --passfile=/etc/ucarp/db.pass --addr=10.98.0.100 \
	--advskew=100 --deadratio=5 --mcastip=224.0.0.19 -SM --upscript="/etc/ucarp/db up.sh" -f daemon
