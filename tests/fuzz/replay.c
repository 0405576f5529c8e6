/*
 * Replays a fuzz target's inputs without libFuzzer: feeds every file of the
 * directories (or the files) named on the command line to the target's
 * LLVMFuzzerTestOneInput, so that the seed corpora are regression tests
 * built with the normal compiler. A failing input aborts, as in fuzzing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file; NULL (with a message) if it cannot. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long len;

    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        goto out;
    }
    data = malloc(len ? len : 1);
    if (!data || fread(data, 1, len, f) != (size_t)len) {
        perror(path);
        free(data);
        data = NULL;
        goto out;
    }
    *size = len;
out:
    if (f) {
        fclose(f);
    }
    return data;
}

static int replay_file(const char *path)
{
    size_t size;
    uint8_t *data = read_file(path, &size);

    if (!data) {
        return -1;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 1;
}

/* Replays the regular files of a directory; returns how many, -1 on error. */
static int replay_dir(const char *dir)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, alphasort), replayed = 0;

    if (n < 0) {
        perror(dir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) < 0) {
                replayed = -1;
            } else if (replayed >= 0) {
                replayed++;
            }
        }
        free(entries[i]);
    }
    free(entries);
    return replayed;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int n;

        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
        if (n <= 0) {
            fprintf(stderr, "%s: no input replayed\n", argv[i]);
            return 1;
        }
        total += n;
    }
    printf("%s: %d inputs replayed\n", argv[0], total);
    return 0;
}
