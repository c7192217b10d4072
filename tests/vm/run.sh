#!/usr/bin/env bash
# Run a command inside a qemu guest booting Debian 12's stock kernel (root; TCG).
#
#   tests/vm/run.sh [--mem MB] [--smp N] [--rw HOSTDIR]... [--timeout S] -- COMMAND [ARGS...]
#
# Why: this machine's kernel has no nfnetlink_cthelper, so sipalgd's helper mode can only be
# exercised on a kernel that has it (shared/DESIGN.md, fact 4). The guest sees the host's root
# file system read-only over virtio-9p (so every installed tool is there), tmpfs on /run, /tmp,
# /var/tmp (HOME=/tmp/home), the cached kernel's modules at /lib/modules/<ver> (modprobe works),
# each --rw HOSTDIR read-write at the same path, and the caller's cwd. COMMAND's stdout and
# stderr stream back to ours; the exit status is COMMAND's, 124 on timeout, 125 when the guest
# failed before COMMAND finished (its console log is printed then). No network devices: build
# namespaces/veths inside the guest.
#
# Options: --mem MB (1024)  --smp N (2)  --timeout S (600, whole run incl. boot)
#          --rw HOSTDIR (repeatable; must exist)  --keep-console (print the guest console log)
# Environment: VM_KERNEL_ARGS is appended to the kernel command line (e.g. "loglevel=7" or
# "vm.debug" with --keep-console to see the boot); VM_QEMU_ARGS to qemu's (word-split);
# VM_TIMING=1 prints boot and wall times; VM_CACHE (default tests/vm/.cache) holds the kernel
# and the initramfs. The first run downloads the kernel package (~70 MB) with apt-get; later
# runs are offline. stdin is /dev/null; the --rw shares are uncached (writes are synchronous:
# write bulky data to the guest's /tmp and copy it once).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VM_CACHE:-$here/.cache}
mem=1024 smp=2 timeout=600 keep_console=0
rw_dirs=()

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
die() { echo "vm/run.sh: $*" >&2; exit 125; }

while (($#)); do
	case "$1" in
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--rw) rw_dirs+=("$(cd "${2:?}" && pwd -P)") || die "--rw $2: no such directory"; shift 2 ;;
	--keep-console) keep_console=1; shift ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) echo "vm/run.sh: unknown option '$1' (COMMAND goes after --)" >&2; usage ;;
	esac
done
(($#)) || usage
[[ $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ && $timeout =~ ^[0-9]+$ ]] ||
	die "--mem, --smp and --timeout take whole numbers"
[[ ${SIPALGD_VM:-} != 1 ]] || die "already inside the VM (SIPALGD_VM=1): run COMMAND directly"
((EUID == 0)) || die "must run as root (qemu reads the whole host root for the guest)"
for d in ${rw_dirs[@]+"${rw_dirs[@]}"}; do
	[[ $d != / ]] || die "--rw / would let the guest write all over the host; name the directories"
	[[ $d != *$'\n'* ]] || die "--rw paths must not contain a newline"
done
# Parents before children, so a nested --rw is mounted on top of its parent's share.
((${#rw_dirs[@]} < 2)) || mapfile -t rw_dirs < <(printf "%s\n" "${rw_dirs[@]}" | LC_ALL=C sort -u)

# --- host preparation (serialised: two runs must not fetch or build at once) -------------------
mkdir -p "$cache"
exec 9>"$cache/lock"
flock -w 600 9 || die "timed out waiting for $cache/lock"

ensure_packages() {
	local missing=() p
	for p in qemu-system-x86 busybox-static kmod xz-utils; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "vm/run.sh: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The linux-image-6.1.*-amd64 package that linux-image-amd64 currently depends on.
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}

apt_update() { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true; }

# Downloads and unpacks kernel package $1 into $cache/kernel-<ver> (once per version).
fetch_kernel() {
	local pkg=$1 ver=${1#linux-image-} dir tmp
	dir=$cache/kernel-$ver tmp=$cache/kernel-$ver.partial
	[[ -e $dir/.complete ]] && return 0
	echo "vm/run.sh: fetching $pkg into $dir" >&2
	rm -rf "$dir" "$tmp" "$cache/deb"
	mkdir -p "$cache/deb"
	(cd "$cache/deb" && apt-get download -q "$pkg" >&2) || { rm -rf "$cache/deb"; return 1; }
	dpkg-deb -x "$cache"/deb/"$pkg"_*.deb "$tmp" || return 1
	rm -rf "$cache/deb"
	if [[ ! -f $tmp/boot/vmlinuz-$ver || ! -d $tmp/lib/modules/$ver ]]; then
		echo "vm/run.sh: $pkg has no boot/vmlinuz-$ver or lib/modules/$ver" >&2
		return 1
	fi
	depmod -b "$tmp" "$ver" || return 1 # the package ships no modules.dep (its postinst makes it)
	mv "$tmp" "$dir" && touch "$dir/.complete"
}

# Prints the kernel version to boot: the one linux-image-amd64 depends on now (apt lists are
# refreshed when they lack it or its file is gone from the mirror), else the newest cached one.
ensure_kernel() {
	local pkg dir
	pkg=$(kernel_package)
	[[ -n $pkg ]] || { apt_update; pkg=$(kernel_package); }
	if [[ -n $pkg ]] && ! fetch_kernel "$pkg"; then
		apt_update
		pkg=$(kernel_package)
		[[ -n $pkg ]] && ! fetch_kernel "$pkg" && pkg=
	fi
	if [[ -n $pkg ]]; then echo "${pkg#linux-image-}"; return 0; fi
	dir=$(ls -d "$cache"/kernel-*/.complete 2>/dev/null | sort -V | tail -n1)
	[[ -n $dir ]] || die "cannot fetch the kernel package of linux-image-amd64 (apt-get download failed; offline?)"
	dir=${dir%/.complete}
	echo "vm/run.sh: using the cached ${dir##*/} (could not fetch the current one)" >&2
	echo "${dir##*/kernel-}"
}

# The uncompressed ELF kernel inside a bzImage. qemu boots it directly through its PVH entry
# point (Debian sets CONFIG_PVH): that skips the real-mode setup and the in-guest xz
# decompression, which alone take ~5 s under TCG. Best effort: without it we boot vmlinuz.
extract_vmlinux() {
	local in=$1 out=$2 off
	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$in" | cut -d: -f1); do
		# xz complains about the bytes after the stream; the ELF magic says whether it worked.
		tail -c +$((off + 1)) "$in" | xz -dc >"$out.partial" 2>/dev/null || true
		if [[ $(head -c 4 "$out.partial" | od -An -c | tr -d ' ') == 177ELF ]]; then
			mv "$out.partial" "$out"
			return 0
		fi
	done
	rm -f "$out.partial"
	echo "vm/run.sh: could not extract vmlinux from $in; booting it compressed (slower)" >&2
}

# Prints MODULE.ko paths (relative to the module tree) for the given module names, each
# after everything it depends on, from modules.dep.
module_closure() {
	local tree=$1; shift
	awk -v want="$*" '
		{ sub(":", "", $1); name = $1; sub(".*/", "", name); sub("\\.ko.*$", "", name)
		  gsub("-", "_", name); path[name] = $1; deps[name] = ""
		  for (i = 2; i <= NF; i++) { d = $i; sub(".*/", "", d); sub("\\.ko.*$", "", d)
		    gsub("-", "_", d); deps[name] = deps[name] " " d } }
		function visit(n,   a, k, i) {
			if (n in seen) return; seen[n] = 1
			if (!(n in path)) { print "missing module " n > "/dev/stderr"; exit 1 }
			k = split(deps[n], a, " ")
			for (i = k; i >= 1; i--) visit(a[i])   # modules.dep lists deps innermost last
			print path[n] }
		END { k = split(want, w, " "); for (i = 1; i <= k; i++) visit(w[i]) }
	' "$tree/modules.dep"
}

# A busybox initramfs holding initramfs-init and the modules it needs to reach the 9p root;
# cached under a name that changes with the kernel version and the init script.
ensure_initramfs() {
	local ver=$1 tree=$cache/kernel-$1/lib/modules/$1 key img stage ko
	local mods=(virtio_pci virtio_console 9pnet_virtio 9p overlay)
	key=$( { echo "$ver ${mods[*]}"; cat "$here/initramfs-init" /usr/bin/busybox; } | sha256sum | cut -c1-16)
	img=$cache/initramfs-$ver-$key.cpio.gz
	if [[ ! -f $img ]]; then
		stage=$(mktemp -d "$cache/initramfs.XXXXXX")
		mkdir -p "$stage/bin" "$stage/modules"
		cp /usr/bin/busybox "$stage/bin/busybox"
		cp "$here/initramfs-init" "$stage/init"
		chmod 755 "$stage/init"
		module_closure "$tree" "${mods[@]}" >"$stage/order" || die "module closure failed"
		while read -r ko; do
			cp "$tree/$ko" "$stage/modules/"
			echo "${ko##*/}"
		done <"$stage/order" >"$stage/modules.list"
		rm "$stage/order"
		(cd "$stage" && find . -mindepth 1 | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$img.partial"
		mv "$img.partial" "$img"
		rm -rf "$stage"
		rm -f $(ls "$cache"/initramfs-*.cpio.gz | grep -vxF "$img") # older images
	fi
	echo "$img"
}

ensure_packages
kver=$(ensure_kernel)
initrd=$(ensure_initramfs "$kver")
kdir=$cache/kernel-$kver
kernel=$kdir/boot/vmlinux-$kver
[[ -f $kernel ]] || extract_vmlinux "$kdir/boot/vmlinuz-$kver" "$kernel"
[[ -f $kernel ]] || kernel=$kdir/boot/vmlinuz-$kver
flock -u 9
exec 9>&-

# The guest has its own tmpfs on these: host files there are invisible unless shared.
ro_dirs=()
hidden_in_guest() {
	local p=$1 d
	for d in ${rw_dirs[@]+"${rw_dirs[@]}"} ${ro_dirs[@]+"${ro_dirs[@]}"}; do
		[[ $p == "$d" || $p == "$d"/* ]] && return 1
	done
	[[ $p == /tmp || $p == /tmp/* || $p == /run || $p == /run/* || $p == /var/tmp || $p == /var/tmp/* ]]
}
# A checkout or cache there (a clone in /tmp) would be invisible too: share those read-only
# and cached, as the host root is, so that its scripts, builds and kernel cache are there.
for d in "$(cd "$here/../.." && pwd -P)" "$(cd "$cache" && pwd -P)"; do
	hidden_in_guest "$d" || continue	# visible already, or under one shared just before
	[[ $d != *$'\n'* ]] || die "a shared path must not contain a newline: $d"
	ro_dirs+=("$d")
done
if hidden_in_guest "$(pwd -P)"; then
	echo "vm/run.sh: warning: the cwd $(pwd -P) is on a guest tmpfs; the command starts in / (share it with --rw)" >&2
fi

# --- one run ------------------------------------------------------------------------------
[[ $kdir != *[[:space:]]* ]] || die "the cache path must not contain white space: $kdir"
# A run that was SIGKILLed leaves its temp dir (its qemu died with it: pdeathsig below).
for d in "${TMPDIR:-/tmp}"/vm-run.*; do
	[[ -f $d/owner ]] && ! kill -0 "$(cat "$d/owner")" 2>/dev/null && rm -rf "$d"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm-run.XXXXXX")
echo $$ >"$tmp/owner"
qemu_pid= readers=()
cleanup() {
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM "$qemu_pid" 2>/dev/null
		sleep 0.5
		kill -KILL "$qemu_pid" 2>/dev/null || true
	fi
	local p
	for p in "${readers[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
	printf 'VM_KVER=%q\nVM_MODDIR=%q\nVM_CWD=%q\nVM_HOSTNAME=%q\n' \
		"$kver" "$kdir/lib/modules/$kver" "$PWD" "vm-$(hostname -s 2>/dev/null || echo host)"
} >"$tmp/env"
printf '%s\n' ${rw_dirs[@]+"${rw_dirs[@]}"} >"$tmp/rw.list"
printf '%s\n' ${ro_dirs[@]+"${ro_dirs[@]}"} >"$tmp/ro.list"
{
	echo "export SIPALGD_VM=1"
	printf 'exec'; printf ' %q' "$@"; printf '\n'
} >"$tmp/cmd.sh"

# qemu's "pipe" chardev writes PATH.out; readers copy it to our own stdout/stderr, whatever
# they are (tty, pipe, file, socket).
mkfifo "$tmp/stdout.in" "$tmp/stdout.out" "$tmp/stderr.in" "$tmp/stderr.out"
cat "$tmp/stdout.out" & readers+=($!)
cat "$tmp/stderr.out" >&2 & readers+=($!)

comma() { echo "${1//,/,,}"; } # qemu option values escape commas by doubling them
fs_args=(-fsdev "local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot
	-fsdev "local,id=fsxfer,path=$(comma "$tmp"),security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=fsxfer,mount_tag=xfer)
for i in "${!ro_dirs[@]}"; do
	fs_args+=(-fsdev "local,id=fsro$i,path=$(comma "${ro_dirs[$i]}"),security_model=none,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,fsdev=fsro$i,mount_tag=ro$i")
done
for i in "${!rw_dirs[@]}"; do
	fs_args+=(-fsdev "local,id=fsrw$i,path=$(comma "${rw_dirs[$i]}"),security_model=none,multidevs=remap"
		-device "virtio-9p-pci,fsdev=fsrw$i,mount_tag=rw$i")
done

# The console goes to a file (shown when the guest fails), never into COMMAND's output, so it
# may carry warnings and errors (loglevel=4: OOM kills, panics) at little cost.
start=$(date +%s.%N)
# pdeathsig: if run.sh itself is SIGKILLed (no trap runs), the kernel still kills qemu.
setpriv --pdeathsig KILL -- qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot ${VM_QEMU_ARGS:-} \
	-accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init ${VM_KERNEL_ARGS:-}" \
	-serial "file:$tmp/console.log" -monitor none \
	-device virtio-serial-pci,id=vser \
	-chardev "pipe,id=out,path=$(comma "$tmp/stdout")" -device virtserialport,bus=vser.0,chardev=out,name=stdout \
	-chardev "pipe,id=err,path=$(comma "$tmp/stderr")" -device virtserialport,bus=vser.0,chardev=err,name=stderr \
	"${fs_args[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!

timed_out=0
deadline=$((SECONDS + timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
	if ((SECONDS >= deadline)); then timed_out=1; break; fi
	sleep 0.2
done
if ((timed_out)); then
	kill -TERM "$qemu_pid" 2>/dev/null; sleep 0.5; kill -KILL "$qemu_pid" 2>/dev/null || true
fi
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
end=$(date +%s.%N)
# qemu is gone, so the fifos' writers are closed and the readers drain and stop by themselves.
for p in "${readers[@]}"; do wait "$p" 2>/dev/null || true; done
readers=()

if [[ -n ${VM_TIMING:-} && -f $tmp/started ]]; then
	awk -v s="$start" -v e="$end" -v b="$(cat "$tmp/started")" 'BEGIN {
		printf "vm/run.sh: guest uptime at command start %.2f s; qemu wall time %.2f s\n", b, e - s }' >&2
fi
if ((keep_console)); then
	echo "--- guest console ---" >&2; cat "$tmp/console.log" >&2
fi
if ((timed_out)); then
	echo "vm/run.sh: timed out after ${timeout}s; guest killed" >&2
	exit 124
fi
if [[ ! -s $tmp/rc ]]; then
	echo "vm/run.sh: the guest stopped before COMMAND finished; qemu said:" >&2
	tail -n 20 "$tmp/qemu.log" >&2
	echo "--- guest console (last 40 lines) ---" >&2
	tail -n 40 "$tmp/console.log" >&2
	exit 125
fi
exit "$(cat "$tmp/rc")"
