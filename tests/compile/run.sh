#!/usr/bin/env bash
# shellcheck disable=SC2086  # $cc, $CWARN, ... are word-split on purpose (CC="gcc -m32" must work)
# Header-integration contract for cloudtasks.h: how the one header behaves when users include it.
# Prints one TAP line per configuration ("ok - name", "not ok - name" followed by "#"-prefixed
# compiler output, "ok - name # SKIP why") and exits 0 if none failed. Run from anywhere:
#     bash tests/compile/run.sh
# Environment: CC (default gcc) and CLANG (default clang) for C; CXX and CLANGXX for C++ (default:
# the C++ driver next to each); JOBS (default: number of CPUs) compiles at once.
#
#   a  C11 implementation TU compiles (-O0 and -O2); its object defines no global symbol outside
#      the public cloudtasks_ prefix (private cloudtasks__ helpers must be static too)
#   b  C++11 and C++17 TUs with the declarations only
#   c  header twice, then CLOUDTASKS_IMPLEMENTATION and twice more (inner once-guard)
#   d  two CLOUDTASKS_STATIC implementation TUs link into one program and run; no global cloudtasks_
#   e  c99 user TU + c11 implementation TU + gnu17 user TU link and run
#   f  implementation after the user's own _POSIX_C_SOURCE 200809L, and after _GNU_SOURCE
#   g  custom CLOUDTASKS_MALLOC/REALLOC/FREE are used; defining only some of them is an #error
#   h  the cloudtasks.c stub compiles
#   i  no banned libc calls in the implementation (comments and string literals ignored)
#   j  every ```c block with "int main" in README.md and docs/*.md compiles ("compile the docs")
#   k  tests/compile/minimal_worker.c (the design's minimal worker) builds with exactly
#      cc -std=c11 -Wall -Wextra minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread
#      and prints nothing
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)

CC=${CC:-gcc}
CLANG=${CLANG:-clang}
if [ -z "${CXX:-}" ]; then
    case $CC in
        *clang*) CXX=${CC/clang/clang++} ;;
        *gcc*)   CXX=${CC/gcc/g++} ;;
        cc)      CXX='c++' ;;
        *)       CXX=g++ ;;
    esac
fi
CLANGXX=${CLANGXX:-${CLANG/clang/clang++}}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

CWARN="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
CXXWARN="-Wall -Wextra -Wpedantic -Werror -Wshadow"
LIBS="-lcurl -lbearssl -lpthread"
read -r -a LIBV <<< "$LIBS"

T=$(mktemp -d "${TMPDIR:-/tmp}/cloudtasks-compile.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# ---- TAP and job helpers -------------------------------------------------------------------------

ok()    { echo "ok - $1"; }
skip()  { echo "ok - $1 # SKIP $2"; }
notok() { # notok NAME [LOGFILE]
    echo "not ok - $1"
    if [ -n "${2:-}" ] && [ -s "$2" ]; then
        head -n 60 "$2" | sed -e "s|$T/[^/]*/||g" -e "s|$ROOT/||g" -e 's/^/#   /'
        [ "$(wc -l < "$2")" -gt 60 ] && echo "#   ... ($(wc -l < "$2") lines)"
    fi
    return 0
}
# check NAME LOG CMD...: runs CMD with its output in LOG, prints ok/not ok, returns CMD's status.
check() {
    local name=$1 log=$2; shift 2
    if "$@" > "$log" 2>&1; then ok "$name"; return 0; fi
    notok "$name" "$log"; return 1
}
have() { command -v "${1%% *}" > /dev/null 2>&1; }
label() { local c=${1%% *}; echo "${c##*/}"; }
newdir() { mktemp -d "$T/w.XXXXXX"; }
run_prog() { # run_prog PROGRAM: runs it (20 s at most), explains a non-zero exit
    local rc
    if have timeout; then timeout 20 "$1"; else "$1"; fi
    rc=$?; [ $rc -eq 0 ] || echo "${1##*/} exited with status $rc${2:+ ($2)}"
    return $rc
}

njob=0
job() { # job FUNC ARGS...: runs in the background; outputs are printed in submission order
    njob=$((njob + 1))
    ( "$@" ) > "$T/tap.$(printf %04d "$njob")" 2>&1 &
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n 2>/dev/null || true; done
}
# each_c FUNC ARGS...  -> FUNC LABEL COMPILER ARGS... for gcc and clang; COMPILER is "" when absent
each_c() {
    local f=$1; shift
    job "$f" "$(label "$CC")" "$CC" "$@"
    if have "$CLANG"; then job "$f" "$(label "$CLANG")" "$CLANG" "$@"
    else job "$f" "$(label "$CLANG")" "" "$@"; fi
}
each_cxx() {
    local f=$1; shift
    job "$f" "$(label "$CXX")" "$CXX" "$@"
    if have "$CLANGXX"; then job "$f" "$(label "$CLANGXX")" "$CLANGXX" "$@"
    else job "$f" "$(label "$CLANGXX")" "" "$@"; fi
}
absent() { echo "${1%% *} not found"; }

# ---- the header, with comments and string/char literal contents blanked (line numbers kept) ------

strip_c() {
    awk '
    BEGIN { inc = 0 }
    {
        line = $0; out = ""; i = 1; n = length(line)
        while (i <= n) {
            c = substr(line, i, 1); c2 = substr(line, i, 2)
            if (inc) { if (c2 == "*/") { inc = 0; out = out "  "; i += 2 } else { out = out " "; i++ }; continue }
            if (c2 == "/*") { inc = 1; out = out "  "; i += 2; continue }
            if (c2 == "//") break
            if (c == "\"" || c == "\047") {
                q = c; i++
                while (i <= n) { c = substr(line, i, 1); if (c == "\\") { i += 2; continue }; if (c == q) break; i++ }
                out = out q q; i++; continue
            }
            out = out c; i++
        }
        print out
    }'
}
strip_c < cloudtasks.h > "$T/stripped.h"
# The line that opens the implementation section (0 if there is none yet).
IMPL_LINE=$(awk '/^[ \t]*#[ \t]*ifdef[ \t]+CLOUDTASKS_IMPLEMENTATION([ \t]|$)/ { print NR; exit }' "$T/stripped.h")
IMPL_LINE=${IMPL_LINE:-0}
# Does the implementation define cloudtasks_worker_main (a "{" before any ";")?
WORKER_DEFINED=0
if [ "$IMPL_LINE" -gt 0 ] && awk -v start="$IMPL_LINE" '
    NR <= start { next }
    !look { p = index($0, "int cloudtasks_worker_main(int argc"); if (!p) next; look = 1; s = substr($0, p) }
    look && s == "" { s = $0 }
    look {
        b = index(s, "{"); e = index(s, ";")
        if (b && (!e || b < e)) { found = 1; exit }
        if (e) look = 0
        s = ""
    }
    END { exit found ? 0 : 1 }' "$T/stripped.h"; then
    WORKER_DEFINED=1
fi

# ---- (a) C11 implementation TU; exported symbols -------------------------------------------------

check_a() {
    local lab=$1 cc=$2 d
    local n1="a: C11 implementation TU compiles ($lab)" n2="a: C11 implementation TU compiles at -O2 ($lab)"
    local n3="a: implementation object defines only public cloudtasks_ globals ($lab)"
    if [ -z "$cc" ]; then skip "$n1" "$(absent "$CLANG")"; skip "$n2" "$(absent "$CLANG")"; skip "$n3" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    printf '#define CLOUDTASKS_IMPLEMENTATION\n#include "cloudtasks.h"\n' > "$d/impl.c"
    check "$n2" "$d/log2" $cc -std=c11 $CWARN -O2 -I"$ROOT" -c "$d/impl.c" -o "$d/impl2.o"
    if ! check "$n1" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" -c "$d/impl.c" -o "$d/impl.o"; then
        skip "$n3" "the implementation TU did not compile"; return
    fi
    nm -g --defined-only "$d/impl.o" | awk 'NF >= 2 { print $NF }' \
        | grep -Ev '^cloudtasks_[a-z0-9]' | sed 's/^/global symbol: /' > "$d/bad"
    if [ -s "$d/bad" ]; then notok "$n3" "$d/bad"; else ok "$n3"; fi
}

# ---- (b) C++ TU with the declarations only -------------------------------------------------------

write_b() {
    cat > "$1" <<'EOF'
#include "cloudtasks.h"
#include "cloudtasks.h"

static int task(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, void *user) {
    (void)w; (void)user;
    if (cloudtasks_shutdown_requested(w) || cloudtasks_termination_notice(w)) return CLOUDTASKS_RETRY;
    cloudtasks_result_string(r, t->task_id);
    return CLOUDTASKS_DONE;
}

int cxx_uses_the_api(const char *text, size_t len, char **argv);
int cxx_uses_the_api(const char *text, size_t len, char **argv) {
    cloudtasks_error err = {};
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, len, &err);
    if (!doc) return err.code;
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    size_t n = 0;
    const char *key = cloudtasks_json_object_key(root, 0, &n);
    int ok = cloudtasks_json_typeof(cloudtasks_json_get(root, "a")) == CLOUDTASKS_JSON_OBJECT
        && cloudtasks_json_number(cloudtasks_json_at(root, 0), 0.0) == 0.0
        && cloudtasks_json_bool(cloudtasks_json_object_value(root, 0), 0) == 0
        && cloudtasks_json_string(root, &n) == key && cloudtasks_json_length(root) > 0;
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_value(&w, root);
    cloudtasks_json_write_int(&w, INT64_C(-9007199254740993));
    cloudtasks_json_end_array(&w);
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_free(doc);

    cloudtasks_header h[2] = { { "Host", "sqs.us-east-1.amazonaws.com" }, { "X-Amz-Date", "20260101T000000Z" } };
    cloudtasks_sigv4_request req = {};
    req.method = "POST"; req.path_and_query = "/"; req.headers = h; req.header_count = 2;
    req.region = "us-east-1"; req.service = "sqs"; req.normalize_path = 1;
    int need = cloudtasks_sigv4_authorization(&req, nullptr, 0);

    cloudtasks_task_fn fn = task;
    return ok + need + cloudtasks_worker_main(1, argv, fn, nullptr)
        + (int)cloudtasks_code_string(CLOUDTASKS_EJSON)[0] + (int)cloudtasks_version_string()[0];
}
EOF
}
check_b() {
    local lab=$1 cxx=$2 std=$3 d
    local name="b: $std TU with the declarations only ($lab)"
    if [ -z "$cxx" ]; then skip "$name" "$(absent "$CLANGXX")"; return; fi
    d=$(newdir); write_b "$d/decls.cpp"
    check "$name" "$d/log" $cxx -std="$std" $CXXWARN -I"$ROOT" -c "$d/decls.cpp" -o "$d/decls.o"
}

# ---- (c) repeated includes -----------------------------------------------------------------------

check_c() {
    local lab=$1 cc=$2 d
    local name="c: header twice, then with CLOUDTASKS_IMPLEMENTATION twice, in one TU ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    # The first include brings <stdint.h>, which fixes glibc's feature set before the implementation
    # include can choose it; the header's documented rule for that case is to define the feature
    # macros yourself first.
    cat > "$d/twice.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1
#include "cloudtasks.h"
#include "cloudtasks.h"
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "cloudtasks.h"
EOF
    check "$name" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" -c "$d/twice.c" -o "$d/twice.o"
}

# ---- (d) two CLOUDTASKS_STATIC implementations in one program ------------------------------------

build_d() {
    local cc=$1 d=$2
    $cc -std=c11 $CWARN -I"$ROOT" -c "$d/one.c" -o "$d/one.o" &&
    $cc -std=c11 $CWARN -I"$ROOT" -c "$d/two.c" -o "$d/two.o" &&
    $cc "$d/one.o" "$d/two.o" -o "$d/prog" "${LIBV[@]}" &&
    run_prog "$d/prog"
}
check_d() {
    local lab=$1 cc=$2 d
    local n1="d: two CLOUDTASKS_STATIC implementation TUs link into one program and run ($lab)"
    local n2="d: CLOUDTASKS_STATIC objects have no global cloudtasks_ symbol ($lab)"
    if [ -z "$cc" ]; then skip "$n1" "$(absent "$CLANG")"; skip "$n2" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    cat > "$d/one.c" <<'EOF'
#define CLOUDTASKS_STATIC
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include <string.h>

int one_length(const char *text);
int one_length(const char *text) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, strlen(text), NULL);
    int n;
    if (!doc) return -1;
    n = (int)cloudtasks_json_length(cloudtasks_json_root(doc));
    cloudtasks_json_free(doc);
    return n;
}
EOF
    cat > "$d/two.c" <<'EOF'
#define CLOUDTASKS_STATIC
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

int one_length(const char *text);

int main(void) {
    static const char text[] = "{\"a\": 1, \"b\": [true, null]}";
    cloudtasks_error err;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, sizeof text - 1, &err);
    if (!doc) return 1;
    if (cloudtasks_json_length(cloudtasks_json_root(doc)) != 2) return 2;
    cloudtasks_json_free(doc);
    if (cloudtasks_json_parse("[1,", 3, &err) != NULL || err.code != CLOUDTASKS_EJSON) return 3;
    if (one_length("[1, 2, 3]") != 3) return 4;
    return 0;
}
EOF
    check "$n1" "$d/log" build_d "$cc" "$d"
    if [ ! -f "$d/one.o" ] || [ ! -f "$d/two.o" ]; then skip "$n2" "the objects did not compile"; return; fi
    nm -g "$d/one.o" "$d/two.o" | awk 'NF >= 2 { print $NF }' | grep '^cloudtasks_' \
        | sort -u | sed 's/^/global symbol: /' > "$d/bad"
    if [ -s "$d/bad" ]; then notok "$n2" "$d/bad"; else ok "$n2"; fi
}

# ---- (e) TUs at different -std levels in one program ---------------------------------------------

build_e() {
    local cc=$1 d=$2
    $cc -std=c99 $CWARN -I"$ROOT" -c "$d/user99.c" -o "$d/user99.o" &&
    $cc -std=c11 $CWARN -I"$ROOT" -c "$d/impl11.c" -o "$d/impl11.o" &&
    $cc -std=gnu17 $CWARN -I"$ROOT" -c "$d/user17.c" -o "$d/user17.o" &&
    $cc "$d/user99.o" "$d/impl11.o" "$d/user17.o" -o "$d/prog" "${LIBV[@]}" &&
    run_prog "$d/prog"
}
check_e() {
    local lab=$1 cc=$2 d
    local name="e: c99 user TU + c11 implementation TU + gnu17 user TU link and run ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    cat > "$d/user99.c" <<'EOF'
#include "cloudtasks.h"

int user99_members(const char *json, size_t len);
int user99_members(const char *json, size_t len) {
    cloudtasks_error err;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(json, len, &err);
    int n;
    if (!doc) return -1;
    n = (int)cloudtasks_json_length(cloudtasks_json_root(doc));
    cloudtasks_json_free(doc);
    return n;
}
EOF
    printf '#define CLOUDTASKS_IMPLEMENTATION\n#include "cloudtasks.h"\n' > "$d/impl11.c"
    cat > "$d/user17.c" <<'EOF'
#include "cloudtasks.h"
#include <string.h>

int user99_members(const char *json, size_t len);

int main(void) {
    cloudtasks_json_writer w;
    int n;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "x"); cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_key(&w, "y"); cloudtasks_json_write_cstring(&w, "two");
    cloudtasks_json_end_object(&w);
    if (w.error != 0 || w.data == NULL) return 1;
    n = user99_members(w.data, w.len);
    cloudtasks_json_writer_free(&w);
    if (n != 2) return 2;
    return strcmp(cloudtasks_version_string(), CLOUDTASKS_VERSION_STRING) == 0 ? 0 : 3;
}
EOF
    check "$name" "$d/log" build_e "$cc" "$d"
}

# ---- (f) the user's own feature-test macros ------------------------------------------------------

check_f() {
    local lab=$1 cc=$2 what=$3 d
    local name="f: implementation after the user's #define $what ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    printf '#define %s\n#define CLOUDTASKS_IMPLEMENTATION\n#include "cloudtasks.h"\n' "$what" > "$d/feat.c"
    check "$name" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" -c "$d/feat.c" -o "$d/feat.o"
}

# ---- (g) allocator hooks -------------------------------------------------------------------------

build_g() {
    local cc=$1 d=$2
    $cc -std=c11 $CWARN -I"$ROOT" "$d/hooks.c" -o "$d/prog" "${LIBV[@]}" &&
    run_prog "$d/prog" "2: the hooks were not called; 4: hook allocations leaked or were freed elsewhere"
}
check_g() {
    local lab=$1 cc=$2 d
    local name="g: custom CLOUDTASKS_MALLOC/REALLOC/FREE compile and are the ones called ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    cat > "$d/hooks.c" <<'EOF'
#include <stddef.h>
void *my_malloc(size_t size);
void *my_realloc(void *ptr, size_t size);
void my_free(void *ptr);
#define CLOUDTASKS_MALLOC(size) my_malloc(size)
#define CLOUDTASKS_REALLOC(ptr, size) my_realloc(ptr, size)
#define CLOUDTASKS_FREE(ptr) my_free(ptr)
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include <stdlib.h>

static long live, calls;
void *my_malloc(size_t size) { void *p = malloc(size); calls++; if (p) live++; return p; }
void *my_realloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size);
    calls++;
    if (p && !ptr) live++;
    return p;
}
void my_free(void *ptr) { if (ptr) live--; free(ptr); }

int main(void) {
    static const char text[] = "{\"a\": [1, 2, {\"b\": \"c\\u00e9\"}], \"d\": \"long enough to need memory\"}";
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, sizeof text - 1, NULL);
    if (!doc) return 1;
    if (calls == 0) return 2;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_value(&w, cloudtasks_json_root(doc));
    cloudtasks_json_free(doc);
    if (w.error != 0) return 3;
    cloudtasks_json_writer_free(&w);
    return live == 0 ? 0 : 4;
}
EOF
    check "$name" "$d/log" build_g "$cc" "$d"
}
check_g_partial() { # the expected failure: an #error that names all three hooks
    local lab=$1 cc=$2 which=$3 d
    local name="g: only ${which// /+} defined is an #error naming all three hooks ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    {
        for m in $which; do
            case $m in
                MALLOC)  echo '#define CLOUDTASKS_MALLOC(size) malloc(size)' ;;
                REALLOC) echo '#define CLOUDTASKS_REALLOC(ptr, size) realloc(ptr, size)' ;;
                FREE)    echo '#define CLOUDTASKS_FREE(ptr) free(ptr)' ;;
            esac
        done
        printf '#define CLOUDTASKS_IMPLEMENTATION\n#include "cloudtasks.h"\n'
    } > "$d/partial.c"
    if $cc -std=c11 $CWARN -I"$ROOT" -c "$d/partial.c" -o "$d/partial.o" > "$d/log" 2>&1; then
        echo "compiled, but an #error was expected" > "$d/why"; notok "$name" "$d/why"
    elif grep -Eq '#[[:space:]]*error' "$d/log" \
        && grep 'error' "$d/log" | grep 'CLOUDTASKS_MALLOC' | grep 'CLOUDTASKS_REALLOC' | grep -q 'CLOUDTASKS_FREE'; then
        ok "$name"
    else
        { echo "failed, but not with an #error naming CLOUDTASKS_MALLOC, CLOUDTASKS_REALLOC and CLOUDTASKS_FREE:"; cat "$d/log"; } > "$d/why"
        notok "$name" "$d/why"
    fi
}

# ---- (h) the cloudtasks.c stub -------------------------------------------------------------------

check_h() {
    local lab=$1 cc=$2 d
    local name="h: cloudtasks.c compiles ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir)
    check "$name" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" -c "$ROOT/cloudtasks.c" -o "$d/cloudtasks.o"
}

# ---- (i) banned functions ------------------------------------------------------------------------
# curl's "banned functions" idea: thread-unsafe or overflow-prone libc calls, and allocation that
# bypasses CLOUDTASKS_MALLOC/REALLOC/FREE (also calloc/strdup/strndup: their memory would reach
# CLOUDTASKS_FREE without having come from CLOUDTASKS_MALLOC). The lines defining the default
# CLOUDTASKS_MALLOC/REALLOC/FREE are the only place where malloc/realloc/free may be named.

check_i() {
    local name="i: no banned calls in the implementation of cloudtasks.h" d
    d=$(newdir)
    if [ "$IMPL_LINE" -eq 0 ]; then
        echo "no line '#ifdef CLOUDTASKS_IMPLEMENTATION' opens an implementation section" > "$d/why"
        notok "$name" "$d/why"; return
    fi
    awk -v start="$IMPL_LINE" '
        FNR == NR { raw[FNR] = $0; next }
        FNR <= start { next }
        {
            s = $0
            if (cont) { cont = (s ~ /\\[ \t]*$/); next }
            if (s ~ /^[ \t]*#[ \t]*define[ \t]+CLOUDTASKS_(MALLOC|REALLOC|FREE)[ \t(]/) { cont = (s ~ /\\[ \t]*$/); next }
            t = s; found = ""
            while (match(t, /(^|[^A-Za-z0-9_])(gmtime|localtime|asctime|ctime|strtok|strerror|rand|sprintf|vsprintf|strcpy|strcat|atoi|malloc|realloc|calloc|free|strdup|strndup)[ \t]*\(/)) {
                f = substr(t, RSTART, RLENGTH); sub(/^[^A-Za-z]/, "", f); sub(/[ \t]*\($/, "", f)
                found = found (found == "" ? "" : ", ") f "()"
                t = substr(t, RSTART + RLENGTH)
            }
            if (found != "") {
                r = raw[FNR]; sub(/^[ \t]+/, "", r); if (length(r) > 110) r = substr(r, 1, 107) "..."
                printf "cloudtasks.h:%d: %s in: %s\n", FNR, found, r
            }
        }' cloudtasks.h "$T/stripped.h" > "$d/bad"
    if [ -s "$d/bad" ]; then notok "$name" "$d/bad"; else ok "$name"; fi
}

# ---- (j) compile the documentation ---------------------------------------------------------------

mkdir -p "$T/doc"
for md in README.md docs/*.md; do
    [ -f "$md" ] || continue
    awk -v out="$T/doc" -v md="$md" '
        function flush(   f, i) {
            if (body ~ /int main/) {
                f = md; gsub(/[^A-Za-z0-9]/, "_", f)
                f = out "/" f "_L" start ".c"
                printf "%s", body > f; close(f)
                print f "\t" md ":" start
            }
        }
        !inb && /^[ \t]*```c[ \t]*$/ { inb = 1; start = FNR; body = ""; next }
        inb && /^[ \t]*```[ \t]*$/ { inb = 0; flush(); next }
        inb { body = body $0 "\n" }' "$md"
done > "$T/doc/blocks"

build_j() {
    local cc=$1 d=$2
    $cc -std=c11 $CWARN -I"$ROOT" "$d/example.c" -o "$d/example" "${LIBV[@]}" && run_prog "$d/example"
}
check_j() {
    local lab=$1 cc=$2 file=$3 where=$4 d
    local name="j: the example at $where compiles ($lab)"
    if [ -z "$cc" ]; then skip "$name" "$(absent "$CLANG")"; return; fi
    d=$(newdir); cp "$file" "$d/example.c"
    if grep -Eq 'cloudtasks_worker_(main|run)' "$d/example.c"; then
        name="j: the worker example at $where compiles and links ($lab)"
        if [ "$WORKER_DEFINED" -ne 1 ]; then skip "$name" "worker not implemented yet"; return; fi
        check "$name" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" "$d/example.c" -o "$d/example" "${LIBV[@]}"
    elif grep -Eq '^[[:space:]]*#[[:space:]]*define[[:space:]]+CLOUDTASKS_IMPLEMENTATION' "$d/example.c"; then
        name="j: the example at $where compiles, links and runs ($lab)"
        check "$name" "$d/log" build_j "$cc" "$d"
    else
        check "$name" "$d/log" $cc -std=c11 $CWARN -I"$ROOT" -c "$d/example.c" -o "$d/example.o"
    fi
}

# ---- (k) the design's minimal worker, built with exactly the documented command ------------------

check_k() {
    local name="k: minimal_worker.c builds warning-free with: cc -std=c11 -Wall -Wextra minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread"
    local d
    if [ "$WORKER_DEFINED" -ne 1 ]; then skip "$name" "worker not implemented yet"; return; fi
    d=$(newdir)
    cp tests/compile/minimal_worker.c cloudtasks.h "$d/"
    (cd "$d" && cc -std=c11 -Wall -Wextra minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread) > "$d/log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$d/log" ]; then ok "$name"
    else { [ $rc -ne 0 ] && echo "cc exited with status $rc"; [ -s "$d/log" ] && echo "cc printed:"; cat "$d/log"; } > "$d/why"; notok "$name" "$d/why"; fi
}

# ---- run -----------------------------------------------------------------------------------------

each_c check_a
each_cxx check_b c++11
each_cxx check_b c++17
each_c check_c
each_c check_d
each_c check_e
each_c check_f "_POSIX_C_SOURCE 200809L"
each_c check_f "_GNU_SOURCE"
each_c check_g
for which in MALLOC REALLOC FREE "MALLOC FREE"; do each_c check_g_partial "$which"; done
each_c check_h
job check_i
while IFS="$(printf '\t')" read -r file where; do
    each_c check_j "$file" "$where"
done < "$T/doc/blocks"
job check_k
wait

cat "$T"/tap.* > "$T/all"
sed -e "s|$T/||g" "$T/all"
! grep -q '^not ok' "$T/all"
