#!/usr/bin/env bash
# Fetches Debian 12 source packages (signature-checked through the archive's
# signed Sources index) into DIR, without touching the machine's own apt
# sources: the deb-src list and its index live in DIR/.apt.
#   scripts/debian-sources.sh DIR PACKAGE...
# Already fetched packages (their .dsc is there) are skipped.
set -euo pipefail
dir=$1; shift
mkdir -p "$dir/.apt/lists/partial"
cd "$dir"
missing=()
for p in "$@"; do
  compgen -G "${p}_*.dsc" >/dev/null || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo 'deb-src http://deb.debian.org/debian bookworm main' >.apt/sources.list
apt_opts=(-q -o Dir::Etc::SourceList="$dir/.apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$dir/.apt/lists" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update
apt-get "${apt_opts[@]}" source --download-only "${missing[@]}"
