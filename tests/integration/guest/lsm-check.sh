#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lsm-check.sh: the AppArmor checks that run inside the LSM test guest (test-apparmor-guest.py).
#
# The guest is the Debian rootfs with this build tree installed (meson install), booted under TCG
# with a kernel that runs AppArmor; systemd runs this script from the kernel command line
# (systemd.run=) and powers off when it ends. It talks to the system virtkit-qemud through the
# installed units (socket activation) with the installed CLI, as root, and drives the confined
# QEMU through the monitor pass-through. Every result is one line on the serial console:
#
#   VKAA: ok NAME
#   VKAA: not ok NAME: WHY
#   VKAA: # TEXT                (diagnostics)
#   VKAA: done N                (the end: N checks ran)
#
# The test on the host turns them into TAP. Inputs the test put into the image, in
# /var/lib/virtkit-test: disk.qcow2 over base.qcow2 over base.raw (from qemu-img) and paths.env (AADIR, the directory of the
# profiles, LOGDIR, QEMU's logs, and PATH, for the build's prefix). Every command has a timeout.
set -u

exec > /dev/ttyS0 2>&1

DIR=/var/lib/virtkit-test
AADIR=/etc/apparmor.d/virtkit
LOGDIR=/var/log/virtkit/qemu
# shellcheck source=/dev/null
. "$DIR/paths.env"
export PATH
VIRTKIT="timeout 180 virtkit -c qemu:///system"
QEMU=/usr/bin/qemu-system-x86_64
PROFILES=/sys/kernel/security/apparmor/profiles
UUID_OK=6d1f3c7e-5a2b-4c8d-9e0f-a1b2c3d4e5f6
UUID_BAD=6d1f3c7e-5a2b-4c8d-9e0f-a1b2c3d4e5f7
UUID_SESSION=6d1f3c7e-5a2b-4c8d-9e0f-a1b2c3d4e5f8
PROFILE_OK=virtkit-$UUID_OK
PROFILE_BAD=virtkit-$UUID_BAD
N=0
FAILED=0

ok() {
        N=$((N + 1))
        echo "VKAA: ok $1"
}

notok() {
        N=$((N + 1))
        FAILED=$((FAILED + 1))
        echo "VKAA: not ok $1: $2"
}

diag() {
        while IFS= read -r line; do
                echo "VKAA: # $line"
        done
}

finish() {
        echo "VKAA: done $N"
        exit 0
}

# the pid of the QEMU of domain $1 ("-name guest=$1,..."), or nothing
qemu_pid() {
        local p exe
        for p in /proc/[0-9]*; do
                exe=$(readlink "$p/exe" 2>/dev/null) || continue
                [ "$exe" = "$QEMU" ] || continue
                if tr '\0' '\n' < "$p/cmdline" 2>/dev/null | grep -q "^guest=$1,"; then
                        echo "${p#/proc/}"
                        return 0
                fi
        done
        return 1
}

# the AppArmor label of process $1: "PROFILE (MODE)" or "unconfined"
label_of() {
        cat "/proc/$1/attr/apparmor/current" 2>/dev/null || cat "/proc/$1/attr/current"
}

profile_loaded() {
        grep -q "^$1 " "$PROFILES"
}

dump_state() {
        {
                echo "--- journal of virtkit-qemud"
                journalctl --no-pager -q -o cat -u virtkit-qemud.service | tail -n 40
                echo "--- apparmor lines of the kernel log"
                dmesg | grep -i apparmor | grep -v 'STATUS' | tail -n 30
                for f in "$LOGDIR"/*.log; do
                        [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
                done
        } 2>&1 | diag
}

# QMP chardev-add of a file backend through the monitor pass-through: DOMAIN ID OUT [IN]
chardev_add() {
        local data="\"out\":\"$3\"" backend args
        [ $# -ge 4 ] && data="$data,\"in\":\"$4\""
        backend="{\"type\":\"file\",\"data\":{$data}}"
        args="{\"id\":\"$2\",\"backend\":$backend}"
        $VIRTKIT qemu-monitor-command "$1" "{\"execute\":\"chardev-add\",\"arguments\":$args}" 2>&1
}

# the kernel's audit lines (no auditd: they go to the kernel log) of KIND ("DENIED",
# "STATUS") naming PATTERN
audit_lines() {
        dmesg | grep "apparmor=\"$1\"" | grep -F "$2"
}

domain_xml() { # NAME UUID SECLABEL EXTRA
        cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$DIR/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'/>
    <serial type='file'>
      <source path='$DIR/$1.serial'/>
      <target port='0'/>
    </serial>
  </devices>
  $3
  $4
</domain>
EOF
}

echo "VKAA: started"

# --- 1. the kernel runs AppArmor and its policy is reachable ---
lsms=$(cat /sys/kernel/security/lsm 2>/dev/null)
enabled=$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)
if [ "$enabled" = Y ] && [ -r "$PROFILES" ] && [ "$(aa-enabled 2>&1)" = Yes ]; then
        ok "AppArmor is enabled in the guest kernel (lsm: $lsms)"
else
        notok "AppArmor is enabled in the guest kernel" \
              "enabled='$enabled' lsm='$lsms' aa-enabled='$(aa-enabled 2>&1)'"
        finish
fi

# --- 2. the installed units: sysusers, tmpfiles, socket activation of virtkit-qemud ---
mkdir -p "$DIR"
# DAC lets QEMU's user create and read files here: a refusal can only come from AppArmor
chmod 0777 "$DIR"
echo "not for QEMU" > "$DIR/readable.txt"
chmod 0644 "$DIR/readable.txt"
# systemd.run= made kernel-command-line.target the default, which pulls in no basic.target:
# start it for the sockets (the system bus, for qemud and machined) and apparmor.service
out=$( {
        systemctl start basic.target && systemd-sysusers &&
        systemd-tmpfiles --create --prefix /run/virtkit --prefix /etc/virtkit \
                --prefix /var/lib/virtkit --prefix /var/cache/virtkit --prefix /var/log/virtkit &&
        systemctl daemon-reload && systemctl start virtkit-qemud.socket &&
        $VIRTKIT list --all
} 2>&1)
rc=$?
if [ $rc -eq 0 ] && systemctl is-active -q virtkit-qemud.service; then
        ok "virtkit-qemud is socket-activated by the installed units"
else
        notok "virtkit-qemud is socket-activated by the installed units" "$out"
        dump_state
        finish
fi

# --- 3. a domain with a dynamic AppArmor label starts (paused, nested TCG) ---
domain_xml aa-ok "$UUID_OK" "<seclabel type='dynamic' model='apparmor'/>" "" > "$DIR/aa-ok.xml"
t0=$(date +%s%N)
out=$($VIRTKIT define "$DIR/aa-ok.xml" 2>&1 && $VIRTKIT start aa-ok --paused 2>&1)
rc=$?
t1=$(date +%s%N)
echo "$out" | diag
pid=$(qemu_pid aa-ok)
if [ $rc -eq 0 ] && [ -n "$pid" ]; then
        ok "a domain with a dynamic AppArmor seclabel starts ($(((t1 - t0) / 1000000)) ms)"
else
        notok "a domain with a dynamic AppArmor seclabel starts" "rc $rc, QEMU pid '$pid': $out"
        dump_state
        finish
fi

# --- 4. QEMU runs confined by its own profile, in enforce mode ---
label=$(label_of "$pid")
if [ "$label" = "$PROFILE_OK (enforce)" ]; then
        ok "QEMU (pid $pid) runs as '$label'"
else
        notok "QEMU runs as '$PROFILE_OK (enforce)'" "its label is '$label'"
fi

# --- 5. QEMU's output still reaches the domain log: AppArmor revalidates inherited fds at
# the exec that enters the profile (and would replace those the profile does not allow)
log=$(readlink "/proc/$pid/fd/2")
if [ "$log" = "$LOGDIR/aa-ok.log" ]; then
        ok "QEMU's stderr is still the domain log ($log)"
else
        notok "QEMU's stderr is still the domain log" "fd 2 is '$log'"
        ls -l "/proc/$pid/fd/" 2>&1 | diag
fi

# --- 6. the profile is loaded, its files are written, the live XML names it ---
files_ok=1
for f in "$AADIR/$PROFILE_OK" "$AADIR/$PROFILE_OK.files"; do
        [ -f "$f" ] || files_ok=0
done
if profile_loaded "$PROFILE_OK" && [ $files_ok = 1 ] &&
   grep -qF "\"$DIR/disk.qcow2\" rwk," "$AADIR/$PROFILE_OK.files"; then
        ok "the profile is loaded ($(grep "^$PROFILE_OK " "$PROFILES")), .files lists the disk"
else
        notok "the profile is loaded and .files lists the disk" \
              "loaded: $(grep -c "^$PROFILE_OK " "$PROFILES"), files: $(ls "$AADIR" 2>&1)"
fi
# disk.qcow2 is over base.qcow2 over base.raw: the backing images read-only
if grep -qF "\"$DIR/base.qcow2\" rk," "$AADIR/$PROFILE_OK.files" &&
   grep -qF "\"$DIR/base.raw\" rk," "$AADIR/$PROFILE_OK.files"; then
        ok ".files lists each backing image of the disk read-only (rk)"
else
        notok ".files lists each backing image of the disk read-only (rk)" \
              "$(grep -F "$DIR/" "$AADIR/$PROFILE_OK.files" 2>&1)"
fi
nodes=$($VIRTKIT qemu-monitor-command aa-ok '{"execute":"query-named-block-nodes"}' 2>&1)
if echo "$nodes" | grep -qF "$DIR/base.raw" && echo "$nodes" | grep -qF "$DIR/base.qcow2"; then
        ok "the confined QEMU opened every layer of the chain"
else
        notok "the confined QEMU opened every layer of the chain" "$(echo "$nodes" | cut -c1-300)"
fi
echo "--- $AADIR/$PROFILE_OK.files" | diag
diag < "$AADIR/$PROFILE_OK.files"
xml=$($VIRTKIT dumpxml aa-ok 2>&1)
if echo "$xml" | grep -q "<label>$PROFILE_OK</label>"; then
        ok "the live XML shows the profile as the seclabel"
else
        notok "the live XML shows the profile as the seclabel" "$(echo "$xml" | grep -A4 seclabel)"
fi

# --- 7. QEMU creates a file its profile allows (a chardev in its private dir) ---
priv=$(tr '\0' '\n' < "/proc/$pid/cmdline" |
       sed -n 's|.*path=\(/[^,]*\)/monitor\.sock.*|\1|p' | head -n 1)
inside=$priv/inside.txt
reply=$(chardev_add aa-ok inside "$inside")
if [ -n "$priv" ] && echo "$reply" | grep -q '"return"' && [ -e "$inside" ]; then
        ok "QEMU creates a file its profile allows ($inside)"
else
        notok "QEMU creates a file its profile allows ('$inside')" "$reply"
fi

# --- 8. ... and is denied creating one outside it, by AppArmor (DAC would allow it) ---
outside=$DIR/outside.txt
rm -f "$outside"
reply=$(chardev_add aa-ok outside "$outside")
sleep 0.5
denied=$(audit_lines DENIED "profile=\"$PROFILE_OK\"" | grep -F "name=\"$outside\"" | tail -n 1)
if echo "$reply" | grep -q 'Permission denied' && [ ! -e "$outside" ] && [ -n "$denied" ]; then
        ok "QEMU may not create a file outside its profile: $(echo "$reply" | cut -c1-150)"
        echo "$denied" | diag
else
        created=no
        [ -e "$outside" ] && created=yes
        notok "QEMU may not create a file outside its profile" \
              "reply '$reply', created: $created, audit: '$denied'"
fi

# --- 9. ... nor read one (world-readable) ---
reply=$(chardev_add aa-ok readin "$priv/readin.out" "$DIR/readable.txt")
sleep 0.5
denied=$(audit_lines DENIED "profile=\"$PROFILE_OK\"" | grep -F "name=\"$DIR/readable.txt\"" |
         grep 'requested_mask="r"' | tail -n 1)
if echo "$reply" | grep -q 'Permission denied' && [ -n "$denied" ]; then
        ok "QEMU may not read a world-readable file outside its profile"
        echo "$denied" | diag
else
        notok "QEMU may not read a world-readable file outside its profile" \
              "reply '$reply', audit: '$denied'"
fi

# --- 10. the guest runs: SeaBIOS, the NIC's option ROM, the slirp network ---
out=$($VIRTKIT resume aa-ok 2>&1)
rc=$?
sleep 3
state=$($VIRTKIT domstate aa-ok 2>&1)
if [ $rc -eq 0 ] && kill -0 "$pid" 2>/dev/null && echo "$state" | grep -q running; then
        ok "the domain runs its firmware confined for 3 s"
else
        notok "the domain runs its firmware confined for 3 s" "resume rc $rc ($out), state '$state'"
fi

# --- 11. destroy: QEMU gone, the profile unloaded, its files removed ---
# (the daemon unloads the profile from its loop once QEMU is gone: the reply may come first)
out=$($VIRTKIT destroy aa-ok 2>&1)
rc=$?
for _ in $(seq 200); do
        if ! kill -0 "$pid" 2>/dev/null && ! profile_loaded "$PROFILE_OK" &&
           [ ! -e "$AADIR/$PROFILE_OK.files" ]; then
                break
        fi
        sleep 0.1
done
left=""
kill -0 "$pid" 2>/dev/null && left="$left QEMU"
profile_loaded "$PROFILE_OK" && left="$left profile"
[ -e "$AADIR/$PROFILE_OK" ] && left="$left $AADIR/$PROFILE_OK"
[ -e "$AADIR/$PROFILE_OK.files" ] && left="$left $AADIR/$PROFILE_OK.files"
audit_lines STATUS "name=\"$PROFILE_OK\"" | grep -q 'operation="profile_remove"' ||
        left="$left (no profile_remove in the kernel log)"
if [ $rc -eq 0 ] && [ -z "$left" ]; then
        ok "destroy unloads the profile and removes its files"
else
        notok "destroy unloads the profile and removes its files" "rc $rc ($out), left:$left"
fi

# --- 12. nothing else was denied while QEMU started, ran and stopped ---
others=$(audit_lines DENIED "profile=\"$PROFILE_OK\"" | grep -vF "name=\"$outside\"" |
         grep -vF "name=\"$DIR/readable.txt\"")
if [ -z "$others" ]; then
        ok "no other AppArmor denial for the domain's profile"
else
        notok "no other AppArmor denial for the domain's profile" "$(echo "$others" | wc -l) lines"
        echo "$others" | diag
fi

# --- 13. a start that fails once QEMU runs leaves no profile behind. This domain has no
# <seclabel>: security_default_confined = 1 gives it a generated profile too, which the kernel
# reports loading (apparmor="STATUS" operation="profile_load") and removing.
bad="<qemu:commandline><qemu:arg value='-device'/><qemu:arg value='vk-no-such-device'/>"
bad="$bad</qemu:commandline>"
domain_xml aa-bad "$UUID_BAD" "" "$bad" > "$DIR/aa-bad.xml"
out=$($VIRTKIT define "$DIR/aa-bad.xml" 2>&1 && $VIRTKIT start aa-bad --paused 2>&1)
rc=$?
echo "$out" | diag
left=""
qemu_pid aa-bad > /dev/null && left="$left QEMU"
profile_loaded "$PROFILE_BAD" && left="$left profile"
[ -e "$AADIR/$PROFILE_BAD" ] && left="$left $AADIR/$PROFILE_BAD"
[ -e "$AADIR/$PROFILE_BAD.files" ] && left="$left $AADIR/$PROFILE_BAD.files"
status=$(audit_lines STATUS "name=\"$PROFILE_BAD\"" | grep -o 'operation="[a-z_]*"' | tr '\n' ' ')
what="a failed start (no <seclabel>: confined by default) loads, then removes its profile"
if [ $rc -ne 0 ] && echo "$out" | grep -q 'vk-no-such-device' && [ -z "$left" ] &&
   echo "$status" | grep -q 'operation="profile_load"' &&
   echo "$status" | grep -q 'operation="profile_remove"'; then
        ok "$what"
else
        notok "$what" "rc $rc, left:$left, kernel: $status"
fi

# --- 14. a session instance runs as its user, who can neither write /etc/apparmor.d nor load
# a profile: the AppArmor driver stays out of its stack and its domains run unconfined
useradd -m vksession
mkdir -p /run/user/vksession
chown vksession: /run/user/vksession
chmod 0700 /run/user/vksession
domain_xml aa-session "$UUID_SESSION" "" "" | sed "s|$DIR/disk.qcow2|/home/vksession/disk.qcow2|" |
        sed "s|$DIR/aa-session.serial|/home/vksession/serial.log|" > /home/vksession/aa-session.xml
# the chain names its backing images relative to itself: copy them along
cp "$DIR/disk.qcow2" "$DIR/base.qcow2" "$DIR/base.raw" /home/vksession/
chown vksession: /home/vksession/aa-session.xml /home/vksession/disk.qcow2 \
        /home/vksession/base.qcow2 /home/vksession/base.raw
as_user() {
        runuser -u vksession -- env XDG_RUNTIME_DIR=/run/user/vksession HOME=/home/vksession \
                timeout 120 virtkit -c qemu:///session "$@" 2>&1
}
out=$(as_user create /home/vksession/aa-session.xml --paused)
rc=$?
echo "$out" | diag
spid=$(qemu_pid aa-session)
slabel=
[ -n "$spid" ] && slabel=$(label_of "$spid")
if [ $rc -eq 0 ] && [ "$slabel" = unconfined ] &&
   ! compgen -G "$AADIR/*$UUID_SESSION*" > /dev/null; then
        ok "a session instance's domain starts and runs unconfined"
else
        notok "a session instance's domain starts and runs unconfined" \
              "rc $rc, QEMU pid '$spid', label '$slabel'"
fi
as_user destroy aa-session > /dev/null

if [ $FAILED -ne 0 ]; then
        dump_state
fi
$VIRTKIT undefine aa-ok > /dev/null 2>&1
$VIRTKIT undefine aa-bad > /dev/null 2>&1
finish
