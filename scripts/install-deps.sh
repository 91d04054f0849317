#!/bin/sh
# Checks what building and testing cloudtasks.h needs. As root on Debian/Ubuntu it installs what is
# missing with apt-get; anywhere else it names the missing packages and fails.
set -u

missing=""
need() { # need DEBIAN_PACKAGE TEST_COMMAND...
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
have_header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }

need build-essential      command -v make
need libcurl4-openssl-dev have_header curl/curl.h
need libbearssl-dev       have_header bearssl.h
need libcjson-dev         have_header cjson/cJSON.h
need clang                command -v clang
need libclang-rt-14-dev   sh -c 'printf "int LLVMFuzzerTestOneInput(const char*d,unsigned long n){(void)d;(void)n;return 0;}" | clang -x c -fsanitize=fuzzer - -o /dev/null'
need valgrind             command -v valgrind
need python3              command -v python3
need jq                   command -v jq
need curl                 command -v curl
need procps               command -v pgrep
need time                 test -x /usr/bin/time
need bc                   command -v bc

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "error: apt-get could not install:$missing" >&2; exit 1; }
    exit 0
fi
echo "error: missing packages:$missing" >&2
echo "       install them (on Debian/Ubuntu: sudo apt-get install$missing) and run make again" >&2
exit 1
