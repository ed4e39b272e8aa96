#!/bin/sh
# Lays out and packs the shared-hosting bundle (README, "Shared hosting"):
#   bundle.sh OUT.tar.gz STAGE FCGI WEBHOOKD WEBHOOKCTL
# STAGE is emptied and filled, the programs stripped; webhookd's shared libraries that glibc
# (Debian's libc6) does not provide are copied into lib/, found there
# through the programs' run path $ORIGIN/../lib.  Prints the oldest glibc
# the bundle needs: the highest GLIBC_ symbol version any of its files asks.
set -eu
out=$1 stage=$2 fcgi=$3 wd=$4 ctl=$5
name=$(basename "$out" .tar.gz)
top=$stage/$name
rm -rf "$stage"
mkdir -p "$top/public_html" "$top/bin" "$top/lib" "$top/templates"
install -s -m 755 "$fcgi" "$top/public_html/webhooks.fcgi"
install -m 644 cgi-bin/.htaccess "$top/public_html/.htaccess"
install -s -m 755 "$wd" "$ctl" "$top/bin/"
install -m 644 templates/* "$top/templates/"

# What libc6 ships (libc.so.6, libm, libresolv, ld.so...) stays the host's.
libc6=$(dpkg -L libc6 | sed -n 's|.*/\([^/]*\.so[.0-9]*\)$|\1|p' | sort -u)
for prog in "$top/public_html/webhooks.fcgi" "$top/bin/webhookd" "$top/bin/webhookctl"; do
	ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r soname path; do
	if printf '%s\n' "$libc6" | grep -qxF "$soname"; then continue; fi
	cp -L "$path" "$top/lib/$soname"
	chmod 644 "$top/lib/$soname"
done

# Every ELF file's highest GLIBC_ version, then the bundle's.
glibc=$(find "$top" -type f \( -path '*/bin/*' -o -path '*/lib/*' -o -name '*.fcgi' \) \
	-exec objdump -T {} + | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
cp src/bundle/INSTALL "$top/INSTALL"
sed -i "s/GLIBC_MIN/${glibc#GLIBC_}/" "$top/INSTALL"
{
	echo
	echo "Needs: glibc ${glibc#GLIBC_} or later ($glibc); carried in lib/:"
	ls "$top/lib" | sed 's/^/  /'
} >> "$top/INSTALL"
tar -C "$stage" --owner=0 --group=0 -czf "$out" "$name"
echo "bundle: $out ($(du -k "$out" | cut -f1) KiB); needs $glibc or later"
echo "bundle: carried in lib/: $(ls "$top/lib" | tr '\n' ' ')"
