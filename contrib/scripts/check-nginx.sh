#!/bin/sh
# vrrp_script check (contrib/examples/nginx-lvs-*.toml): nginx runs and answers on loopback.
pidof nginx >/dev/null || exit 1
curl -fsS --max-time 2 -o /dev/null http://127.0.0.1/ || exit 1
