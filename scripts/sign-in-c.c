/* ehx-sign --key's whole job in plain C, with the libraries ehx must use,
 * on every core: what a signer written without Swift reaches against
 * OpenSSL's Ed25519 rate x threads, measured the way the bench measures
 * ehx-sign (docs/profile-sign-verify.md, session 11).
 *
 *   cc -O2 scripts/sign-in-c.c -o SIGN -lcrypto -ljansson -lpthread
 *   SIGN READINGS.jsonl OUT THREADS [ROUNDS]
 *
 * Per round: the file is read and cut into lines; THREADS threads take runs
 * of 16 lines from a shared counter; per line jansson parses the reading,
 * jansson's own writer puts the body back sorted and compact, the unsigned
 * envelope is assembled behind the domain tag, Ed25519 signs it, the
 * signature is base64url-encoded and the transaction line assembled; the
 * lines are written out in order at the end. Nothing is checked (no schema,
 * no errors, no live input), so it does less than ehx-sign does. The
 * reference is openssl speed's loop (EVP_DigestSign over 20 bytes) on one
 * thread for 1.5 s before and after the round, averaged, times THREADS.
 * Output: one line a round,
 *   round R: N lines S s = X /s; openssl loop Y /s x T = Z; ratio Q
 */
#include <openssl/evp.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

enum { SLOT = 1024, RUN = 16 };
static const char domain[] = "ehx-tx-v1\n";
static EVP_PKEY *key;
static char signer[64];
static char *input;
static size_t *starts;
static int lines;
static char *out;
static int *out_len;
static atomic_int next_line;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* base64url without padding; returns the length. */
static int b64url(const unsigned char *in, int n, char *text) {
    int m = EVP_EncodeBlock((unsigned char *)text, in, n);
    while (m > 0 && text[m - 1] == '=') m--;
    for (int i = 0; i < m; i++) text[i] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
    text[m] = 0;
    return m;
}

static void *work(void *unused) {
    (void)unused;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1) exit(70);
    char message[SLOT], sig_text[100];
    unsigned char sig[64];
    json_error_t error;
    const size_t tag = sizeof domain - 1, head = tag + 8; /* tag, then {"body": */
    for (;;) {
        int first = atomic_fetch_add(&next_line, RUN);
        if (first >= lines) break;
        int end = first + RUN < lines ? first + RUN : lines;
        for (int i = first; i < end; i++) {
            const char *line = input + starts[i];
            json_t *reading = json_loadb(line, starts[i + 1] - starts[i] - 1, 0, &error);
            if (!reading) { fprintf(stderr, "sign-in-c: line %d: %s\n", i + 1, error.text); exit(65); }
            const char *ts = json_string_value(json_object_get(reading, "ts"));
            memcpy(message, domain, tag);
            memcpy(message + tag, "{\"body\":", 8);
            size_t body = json_dumpb(reading, message + head, SLOT - head - 200, JSON_COMPACT | JSON_SORT_KEYS);
            size_t rest = head + body;
            size_t m = rest + (size_t)snprintf(message + rest, SLOT - rest, ",\"signer\":\"%s\",\"ts\":\"%s\",\"type\":\"reading\",\"v\":1}",
                                               signer, ts ? ts : "");
            json_decref(reading);
            size_t sig_len = sizeof sig;
            if (EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)message, m) != 1) exit(70);
            int s = b64url(sig, 64, sig_text);
            /* The line: the unsigned form with the signature after the body. */
            char *o = out + (size_t)i * SLOT;
            size_t n = rest - tag;
            memcpy(o, message + tag, n);
            memcpy(o + n, ",\"sig\":\"", 8); n += 8;
            memcpy(o + n, sig_text, (size_t)s); n += (size_t)s;
            o[n++] = '"';
            memcpy(o + n, message + rest, m - rest); n += m - rest;
            o[n++] = '\n';
            out_len[i] = (int)n;
        }
    }
    EVP_MD_CTX_free(ctx);
    return NULL;
}

static double reference(double seconds) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1) exit(70);
    unsigned char twenty[20] = "0123456789abcdefghi", sig[64];
    long count = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 200; i++) {
            size_t len = sizeof sig;
            if (EVP_DigestSign(ctx, sig, &len, twenty, 20) != 1) exit(70);
        }
        count += 200;
    } while ((t = now() - t0) < seconds);
    EVP_MD_CTX_free(ctx);
    return count / t;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: sign-in-c READINGS.jsonl OUT THREADS [ROUNDS]\n"); return 64; }
    int threads = atoi(argv[3]), rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (threads < 1 || threads > 64) return 64;
    unsigned char seed[32], raw[32];
    size_t raw_len = sizeof raw;
    memset(seed, 9, sizeof seed);
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof seed);
    if (!key || EVP_PKEY_get_raw_public_key(key, raw, &raw_len) != 1) return 70;
    b64url(raw, 32, signer);
    for (int r = 0; r < rounds; r++) {
        double before = reference(1.5), t0 = now();
        int fd = open(argv[1], O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 66; }
        input = malloc((size_t)st.st_size + 1);
        size_t size = 0;
        ssize_t got;
        while ((got = read(fd, input + size, 1 << 20)) > 0) size += (size_t)got;
        close(fd);
        lines = 0;
        for (size_t i = 0; i < size; i++) lines += input[i] == '\n';
        starts = malloc(sizeof *starts * ((size_t)lines + 1));
        starts[0] = 0;
        for (size_t i = 0, l = 0; i < size; i++) if (input[i] == '\n') starts[++l] = i + 1;
        out = malloc((size_t)lines * SLOT);
        out_len = malloc(sizeof *out_len * (size_t)lines);
        atomic_store(&next_line, 0);
        pthread_t workers[64];
        for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, work, NULL);
        for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
        int ofd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (ofd < 0) { perror(argv[2]); return 73; }
        for (int i = 0; i < lines; i++) if (write(ofd, out + (size_t)i * SLOT, (size_t)out_len[i]) < 0) return 74;
        close(ofd);
        double wall = now() - t0, rate = (before + reference(1.5)) / 2;
        printf("round %d: %d lines %.2f s = %.0f /s; openssl loop %.0f /s x %d = %.0f; ratio %.3f\n",
               r + 1, lines, wall, lines / wall, rate, threads, rate * threads, lines / wall / (rate * threads));
        free(input); free(starts); free(out); free(out_len);
    }
    return 0;
}
