#!/usr/bin/env bash
# Debian packages the tests need: Chromium for the browser tests, Noto CJK for Chinese PDFs,
# poppler-utils to read PDFs back, LibreOffice's Writer and Calc (without their desktop) to open the
# DOCX and XLSX documents the way their users' office suites will, HarfBuzz's subsetter for WeasyPrint's
# fonts (without it WeasyPrint warns, and the tests treat warnings as errors), wrk for `make bench`.
# Installed when missing and running as root; otherwise we say what.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# grep reads to the end (no -q): under pipefail an early exit would fail the pipe with SIGPIPE.
fc-list 2>/dev/null | grep "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
ldconfig -p 2>/dev/null | grep "libharfbuzz-subset.so.0" >/dev/null || missing+=(libharfbuzz-subset0)
# The office packages go without their recommends (a desktop, Java, help: several hundred MB more).
office=()
for package in libreoffice-writer-nogui libreoffice-calc-nogui; do
  dpkg-query -W -f '${Status}\n' "$package" 2>/dev/null | grep "install ok installed" >/dev/null || office+=("$package")
done
[ ${#missing[@]} -eq 0 ] && [ ${#office[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  all=("${missing[@]}" "${office[@]}")
  echo "Installing Debian packages: ${all[*]}"
  # Wait for another apt (a second run of the tests, an upgrade) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ ${#office[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
      "${office[@]}" >/dev/null
  fi
  exit 0
fi
all=("${missing[@]}" "${office[@]}")
echo "Missing system packages: ${all[*]}"
echo "Install them with:"
[ ${#missing[@]} -gt 0 ] && echo "  sudo apt-get install ${missing[*]}"
[ ${#office[@]} -gt 0 ] && echo "  sudo apt-get install --no-install-recommends ${office[*]}"
if [ "${CI:-}" = "true" ]; then exit 1; fi
echo "(continuing: the tests that need them are skipped)"
