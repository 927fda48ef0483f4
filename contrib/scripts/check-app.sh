#!/bin/sh
# vrrp_script check (contrib/examples/priority-from-state.toml): the application's health URL.
exec curl -fsS --max-time 4 -o /dev/null "${APP_HEALTH_URL:-http://127.0.0.1:8080/health}"
