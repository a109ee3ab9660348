#ifndef EHX_CSHA256D_H
#define EHX_CSHA256D_H

/* sha256d nonce-search kernel for ehx-mine (DESIGN: "One small C target is
 * allowed for the sha256d mining kernel"). Everything else hashes through
 * libcrypto; this exists because a nonce search can skip work a general
 * SHA-256 API must do: the first header chunk is hashed once (midstate), the
 * constant words of the second chunk are folded in once, and most hashes are
 * rejected from one state word before the last rounds run. */

#include <stdint.h>

#define EHX_SHA256D_PORTABLE 0
#define EHX_SHA256D_SHANI 1

/* Per-header state, filled by ehx_sha256d_prepare and only read by scans, so
 * every thread may prepare its own copy. Plain words: no SIMD types in the
 * header, Swift imports it as an ordinary struct. */
typedef struct ehx_sha256d_job {
    uint32_t mid[8];      /* SHA-256 state after header bytes 0..63 */
    uint32_t w[3];        /* second chunk's words 0..2: merkle tail, time, bits */
    uint32_t pre[8];      /* portable path: state after rounds 0..2 (nonce-free) */
    uint32_t w16, w17;    /* portable path: schedule words that skip the nonce */
    uint32_t target_top;  /* top 32 bits of the target, for the early exit */
    uint8_t target_be[32];
} ehx_sha256d_job;

/* 1 when this CPU has SHA extensions (and the SSE4.1 the kernel also uses). */
int ehx_sha256d_has_shani(void);

void ehx_sha256d_prepare(ehx_sha256d_job *job, const uint8_t header[80], const uint8_t target_be[32]);

/* Tries nonces from..through (inclusive, in order) and returns 1 with *found
 * set to the first whose sha256d, as a little-endian number, is <= the
 * target; 0 when none is. An unavailable kernel falls back to portable. */
int ehx_sha256d_scan(const ehx_sha256d_job *job, int kernel, uint32_t from, uint32_t through, uint32_t *found);

/* sha256d of one whole 80-byte header through the chosen kernel's per-nonce
 * path (midstate, precomputed words, interleaving; all 64 rounds), so tests
 * can check each kernel against libcrypto. out is the digest in hash order. */
void ehx_sha256d_hash(int kernel, const uint8_t header[80], uint8_t out[32]);

/* Shared counters of one multi-threaded search (NonceSearch). Swift 6 cannot
 * import C11 _Atomic types, so these wrap the compiler's atomic builtins on
 * plain fields; the Swift side touches the struct only through them. */
typedef struct ehx_search_shared {
    uint64_t next;    /* offset of the next unclaimed chunk */
    uint64_t best;    /* lowest solving nonce so far, UINT64_MAX when none */
    uint64_t hashes;  /* nonces tried, for --bench */
    uint32_t stop;    /* set when shouldStop said so */
} ehx_search_shared;

static inline uint64_t ehx_shared_claim(ehx_search_shared *s, uint64_t count) {
    return __atomic_fetch_add(&s->next, count, __ATOMIC_RELAXED);
}
static inline uint64_t ehx_shared_best(ehx_search_shared *s) {
    return __atomic_load_n(&s->best, __ATOMIC_ACQUIRE);
}
/* Keeps the minimum, so the threads agree on the first solution in order. */
static inline void ehx_shared_offer(ehx_search_shared *s, uint64_t nonce) {
    uint64_t seen = __atomic_load_n(&s->best, __ATOMIC_RELAXED);
    while (nonce < seen &&
           !__atomic_compare_exchange_n(&s->best, &seen, nonce, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
    }
}
static inline void ehx_shared_count(ehx_search_shared *s, uint64_t count) {
    __atomic_fetch_add(&s->hashes, count, __ATOMIC_RELAXED);
}
static inline uint64_t ehx_shared_hashes(ehx_search_shared *s) {
    return __atomic_load_n(&s->hashes, __ATOMIC_ACQUIRE);
}
static inline void ehx_shared_request_stop(ehx_search_shared *s) {
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
}
static inline int ehx_shared_stopped(ehx_search_shared *s) {
    return (int)__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

#endif
