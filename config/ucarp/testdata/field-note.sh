# The start.sh of the Russian ucarp write-up, variables written out.
ucarp \
--interface=eth0 \
--srcip=172.16.0.11 \
--vhid=1 \
--pass=geheim \
--advbase=1 \
--preempt \
--addr=172.16.0.1 \
--daemonize \
--upscript=/etc/ucarp/ucarp-up.sh \
--downscript=/etc/ucarp/ucarp-down.sh
