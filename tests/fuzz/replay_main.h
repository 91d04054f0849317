/* The replay main() shared by the fuzz targets. Built with FUZZ_REPLAY_MAIN defined (any C
   compiler, no libFuzzer), a target runs each file, or each file of each directory, named on the
   command line (or standard input) through LLVMFuzzerTestOneInput, so a crash file reproduces
   without libFuzzer. A target may define FUZZ_REPLAY_FINISH() to report after the last input. */
#ifdef FUZZ_REPLAY_MAIN
#include <dirent.h>
#include <sys/stat.h>

static int replay_bytes(const char *name, FILE *f) {
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) { fprintf(stderr, "replay: out of memory\n"); return 1; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *grown = realloc(buf, cap *= 2);
        if (!grown) free(buf);
        buf = grown;
    }
    /* an exactly-sized copy, so the sanitizers see any read past the end, as under libFuzzer */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); fprintf(stderr, "replay: out of memory\n"); return 1; }
    memcpy(exact, buf, n);
    free(buf);
    fprintf(stderr, "replay: %s (%zu bytes)\n", name, n);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int replay_path(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) { fprintf(stderr, "replay: cannot stat %s\n", path); return 1; }
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d) { fprintf(stderr, "replay: cannot open %s\n", path); return 1; }
        int rc = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *p = malloc(n);
            if (!p) { closedir(d); return 1; }
            snprintf(p, n, "%s/%s", path, e->d_name);
            rc |= replay_path(p);
            free(p);
        }
        closedir(d);
        return rc;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "replay: cannot open %s\n", path); return 1; }
    int rc = replay_bytes(path, f);
    fclose(f);
    return rc;
}

int main(int argc, char **argv) {
    int rc = 0;
    if (argc < 2) return replay_bytes("<stdin>", stdin);
    for (int i = 1; i < argc; i++) rc |= replay_path(argv[i]);
#ifdef FUZZ_REPLAY_FINISH
    FUZZ_REPLAY_FINISH();
#endif
    return rc;
}
#endif
