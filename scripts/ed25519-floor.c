/* The least any signer or verifier of ehx transactions can do per line,
 * against the loop `openssl speed ed25519` times, in one process on one core.
 *
 *   cc -O2 scripts/ed25519-floor.c -o FLOOR -lcrypto -ljansson
 *   FLOOR sign|verify TXS.jsonl [ROUNDS]
 *
 * TXS.jsonl holds canonical reading transactions (ehx-sign's output, or
 * `ehx-query txs --raw`). Per line, the floor does only what the format makes
 * unavoidable:
 *   sign    jansson reads the reading; Ed25519 signs the message ehx signs
 *           (the domain tag, then the unsigned form: same length, same key kind)
 *   verify  jansson reads the body; SHA-256 of the line (the Merkle leaf) and
 *           of the unsigned form (the txid); Ed25519 verifies the line's own
 *           signature over its own message (every one must verify)
 * The reference is openssl speed's loop: the same call on a 20-byte message.
 * Both run in alternating blocks, CPU time only, and the output is one line:
 *   <op> floor <ratio> (<floor us> us a line, <reference us> us openssl speed's loop)
 * The ratio is the most an implementation that reads its JSON with jansson
 * can reach per CPU-second against OpenSSL's own rate: everything ehx does
 * beyond the floor (its Swift, its input and output, its threads) comes out of
 * the difference between that ratio and the 0.9.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char domain[] = "ehx-tx-v1\n";

struct tx {
    const char *body; size_t body_len;   /* the body member's value */
    unsigned char *line; size_t line_len;
    unsigned char *message; size_t message_len; /* domain tag + unsigned form */
    unsigned char sig[64];
    EVP_PKEY *signer;
};

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, size_t line) {
    fprintf(stderr, "ed25519-floor: line %zu: %s\n", line, what);
    exit(65);
}

/* base64url without padding into out; returns the length or -1. */
static int b64url(const char *in, size_t n, unsigned char *out, size_t cap) {
    char buf[128];
    if (n + 4 > sizeof buf) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) buf[m++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    while (m % 4) buf[m++] = '=';
    unsigned char tmp[96];
    /* EVP_DecodeBlock counts the padding's zero bytes too. */
    if (EVP_DecodeBlock(tmp, (unsigned char *)buf, (int)m) < 0) return -1;
    int got = (int)(n * 3 / 4);
    if ((size_t)got > cap) return -1;
    memcpy(out, tmp, got);
    return got;
}

/* The value of the string member `"name":"` at its place in the line. */
static const char *member(const char *line, const char *name, size_t *len) {
    const char *p = strstr(line, name);
    if (!p) return NULL;
    p += strlen(name);
    const char *q = strchr(p, '"');
    if (!q) return NULL;
    *len = (size_t)(q - p);
    return p;
}

static int load(const char *path, struct tx **out, size_t max) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(66); }
    struct tx *txs = calloc(max, sizeof *txs);
    char *line = NULL; size_t cap = 0; ssize_t n; size_t count = 0;
    EVP_PKEY *key = NULL; char keytext[64] = "";
    while (count < max && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        struct tx *t = &txs[count];
        const char *sig_at = strstr(line, ",\"sig\":\"");
        if (strncmp(line, "{\"body\":", 8) != 0 || !sig_at) die("not a canonical transaction", count + 1);
        t->body = strndup(line + 8, (size_t)(sig_at - line - 8));
        t->body_len = (size_t)(sig_at - line - 8);
        size_t sl = 0, kl = 0;
        const char *s = member(line, ",\"sig\":\"", &sl), *k = member(line, "\"signer\":\"", &kl);
        if (!s || !k || sl != 86 || kl != 43) die("no signature or signer", count + 1);
        if (b64url(s, sl, t->sig, 64) != 64) die("signature not base64url", count + 1);
        if (kl >= sizeof keytext || strncmp(keytext, k, kl) != 0 || keytext[kl] != 0) {
            unsigned char raw[32];
            if (b64url(k, kl, raw, 32) != 32) die("signer not base64url", count + 1);
            key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
            if (!key) die("signer not an Ed25519 key", count + 1);
            memcpy(keytext, k, kl); keytext[kl] = 0;
        }
        t->signer = key;
        t->line = malloc(n + 1); t->line[0] = 0; memcpy(t->line + 1, line, n); t->line_len = n + 1;
        /* The unsigned form: the line without its sig member. */
        size_t cut = (size_t)(sig_at - line), gone = 8 + 86 + 1;
        t->message_len = sizeof domain - 1 + n - gone;
        t->message = malloc(t->message_len);
        memcpy(t->message, domain, sizeof domain - 1);
        memcpy(t->message + sizeof domain - 1, line, cut);
        memcpy(t->message + sizeof domain - 1 + cut, line + cut + gone, n - cut - gone);
        count++;
    }
    free(line); fclose(f);
    *out = txs;
    return (int)count;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: ed25519-floor sign|verify TXS.jsonl [ROUNDS]\n"); return 64; }
    int verify = strcmp(argv[1], "verify") == 0;
    int rounds = argc > 3 ? atoi(argv[3]) : 10;
    struct tx *txs;
    int n = load(argv[2], &txs, verify ? 800 : 2000);
    if (n == 0) { fprintf(stderr, "ed25519-floor: %s: no transactions\n", argv[2]); return 66; }

    EVP_PKEY *own = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    if (!pc || EVP_PKEY_keygen_init(pc) != 1 || EVP_PKEY_keygen(pc, &own) != 1) return 70;
    EVP_MD_CTX *signer = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(signer, NULL, NULL, NULL, own) != 1) return 70;
    EVP_MD_CTX *reference_verifier = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(reference_verifier, NULL, NULL, NULL, own) != 1) return 70;
    EVP_MD_CTX *verifier = EVP_MD_CTX_new();
    EVP_PKEY *verifier_key = NULL;

    unsigned char twenty[20] = "0123456789abcdefghi", sig20[64], sig[64], digest[32];
    size_t siglen = 64;
    if (EVP_DigestSign(signer, sig20, &siglen, twenty, 20) != 1) return 70;
    /* The host's speed drifts by 10% and more within seconds, so the two
     * loops alternate every BLOCK lines and the figure is the median of the
     * blocks' ratios (each block pairs timings a few milliseconds apart). */
    enum { BLOCK = 25 };
    int blocks = rounds * ((n + BLOCK - 1) / BLOCK), b = 0;
    double *ratios = calloc((size_t)blocks, sizeof *ratios);
    double reference = 0, floor = 0;
    json_error_t error;
    for (int r = 0; r < rounds; r++) {
        for (int start = 0; start < n; start += BLOCK, b++) {
            int end = start + BLOCK < n ? start + BLOCK : n;
            double t0 = cpu_now();
            for (int i = start; i < end; i++) {
                if (verify) {
                    if (EVP_DigestVerify(reference_verifier, sig20, 64, twenty, 20) != 1) return 70;
                } else {
                    siglen = 64;
                    if (EVP_DigestSign(signer, sig, &siglen, twenty, 20) != 1) return 70;
                }
            }
            double t1 = cpu_now();
            for (int i = start; i < end; i++) {
                struct tx *t = &txs[i];
                json_t *body = json_loadb(t->body, t->body_len, 0, &error);
                if (!body) die("jansson refuses the body", (size_t)i + 1);
                json_decref(body);
                if (verify) {
                    SHA256(t->line, t->line_len, digest);
                    SHA256(t->message + sizeof domain - 1, t->message_len - (sizeof domain - 1), digest);
                    if (t->signer != verifier_key) {
                        if (EVP_DigestVerifyInit(verifier, NULL, NULL, NULL, t->signer) != 1) return 70;
                        verifier_key = t->signer;
                    }
                    if (EVP_DigestVerify(verifier, t->sig, 64, t->message, t->message_len) != 1) die("signature does not verify", (size_t)i + 1);
                } else {
                    siglen = 64;
                    if (EVP_DigestSign(signer, sig, &siglen, t->message, t->message_len) != 1) return 70;
                }
            }
            double t2 = cpu_now();
            reference += t1 - t0;
            floor += t2 - t1;
            ratios[b] = (t1 - t0) / (t2 - t1);
        }
    }
    qsort(ratios, (size_t)blocks, sizeof *ratios, by_value);
    double per = 1e6 / ((double)n * rounds);
    printf("%s floor %.3f (%.2f us a line, %.2f us openssl speed's loop)\n",
           verify ? "verify" : "sign", ratios[blocks / 2], floor * per, reference * per);
    return 0;
}
