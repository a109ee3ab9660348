/* sha256d nonce search: a portable path and an x86 SHA-extensions path.
 *
 * Why C: the per-nonce work must stay in registers with no allocation, and
 * the SHA instructions are only reachable through compiler intrinsics.
 * Why not libcrypto: its API hashes whole messages; a miner wins by hashing
 * only what changes with the nonce (see the numbered tricks below).
 *
 * Words are host-endian uint32 values of SHA-256's big-endian message words. */

#include "csha256d.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define EHX_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("clang loop unroll(full)")

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t IV[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The second chunk is header bytes 64..79 then padding for an 80-byte
 * message: words 4..15 never change. The second hash hashes a 32-byte digest:
 * its words 8..15 never change either. */
#define PAD_FIRST 0x80000000u
#define LEN_HEADER 640u   /* 80 bytes in bits */
#define LEN_DIGEST 256u   /* 32 bytes in bits */

static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- portable SHA-256 ------------------------------------------------ */

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

/* Message schedule words first..last-1. */
INLINE void expand(uint32_t w[64], int first, int last) {
    UNROLL for (int t = first; t < last; t++)
        w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];
}

/* Rounds first..last-1 applied to s in place (no feed-forward). Fully
 * unrolled so the eight-variable rotation is free and the compiler folds the
 * many constant (mostly zero) padding words. */
INLINE void rounds(uint32_t s[8], const uint32_t w[64], int first, int last) {
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    UNROLL for (int t = first; t < last; t++) {
        uint32_t t1 = h + BSIG1(e) + (g ^ (e & (f ^ g))) + K[t] + w[t];
        uint32_t t2 = BSIG0(a) + ((a & b) | (c & (a | b)));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s[0] = a; s[1] = b; s[2] = c; s[3] = d; s[4] = e; s[5] = f; s[6] = g; s[7] = h;
}

static void compress(uint32_t s[8], const uint32_t block[16]) {
    uint32_t w[64], t[8];
    memcpy(w, block, 64);
    expand(w, 16, 64);
    memcpy(t, s, 32);
    rounds(t, w, 0, 64);
    for (int i = 0; i < 8; i++) s[i] += t[i];
}

/* One nonce. With full == 0 only out[7] is computed: the final state word 7
 * is H7 + h after round 63, and h64 = g63 = f62 = e61, so the second hash
 * stops after 61 rounds (trick: early exit on the last state word). */
INLINE void portable_one(const ehx_sha256d_job *job, uint32_t nonce, int full, uint32_t out[8]) {
    uint32_t w[64] = {job->w[0], job->w[1], job->w[2], __builtin_bswap32(nonce), PAD_FIRST,
                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, LEN_HEADER, job->w16, job->w17};
    expand(w, 18, 64);
    uint32_t s[8];
    memcpy(s, job->pre, 32);   /* rounds 0..2 see only nonce-free words */
    rounds(s, w, 3, 64);
    uint32_t v[64] = {0};
    for (int i = 0; i < 8; i++) v[i] = s[i] + job->mid[i];
    v[8] = PAD_FIRST;
    v[15] = LEN_DIGEST;
    memcpy(s, IV, 32);
    if (full) {
        expand(v, 16, 64);
        rounds(s, v, 0, 64);
        for (int i = 0; i < 8; i++) out[i] = s[i] + IV[i];
    } else {
        expand(v, 16, 61);
        rounds(s, v, 0, 61);
        out[7] = s[4] + IV[7];
    }
}

/* Full 256-bit compare: the digest read as a little-endian number (its last
 * byte most significant) against the big-endian target. */
static int meets(const uint32_t d[8], const uint8_t target_be[32]) {
    for (int k = 0; k < 32; k++) {
        int j = 31 - k;
        uint8_t h = (uint8_t)(d[j / 4] >> (24 - 8 * (j % 4))), t = target_be[k];
        if (h != t) return h < t;
    }
    return 1;
}

/* The top 32 bits of the hash as a number are digest bytes 31..28, i.e. the
 * byte-swapped last state word: if those exceed the target's top word no
 * lower byte can help, so only the rare rest get the full compare. */
static int confirm(const ehx_sha256d_job *job, uint32_t nonce) {
    uint32_t d[8];
    portable_one(job, nonce, 1, d);
    return meets(d, job->target_be);
}

static int scan_portable(const ehx_sha256d_job *job, uint32_t from, uint32_t through, uint32_t *found) {
    for (uint64_t n = from; n <= through; n++) {
        uint32_t h[8];
        portable_one(job, (uint32_t)n, 0, h);
        if (__builtin_expect(__builtin_bswap32(h[7]) <= job->target_top, 0) && confirm(job, (uint32_t)n)) {
            *found = (uint32_t)n;
            return 1;
        }
    }
    return 0;
}

void ehx_sha256d_prepare(ehx_sha256d_job *job, const uint8_t header[80], const uint8_t target_be[32]) {
    uint32_t block[16];
    for (int i = 0; i < 16; i++) block[i] = be32(header + 4 * i);
    memcpy(job->mid, IV, 32);
    compress(job->mid, block);   /* midstate: once per header, not per nonce */
    for (int i = 0; i < 3; i++) job->w[i] = be32(header + 64 + 4 * i);
    /* Rounds 0..2 and schedule words 16, 17 read only words 0..2 and the
     * padding, so they are the same for every nonce. */
    uint32_t w[64] = {job->w[0], job->w[1], job->w[2], 0, PAD_FIRST};
    w[15] = LEN_HEADER;
    memcpy(job->pre, job->mid, 32);
    rounds(job->pre, w, 0, 3);
    job->w16 = SSIG1(w[14]) + w[9] + SSIG0(w[1]) + w[0];
    job->w17 = SSIG1(w[15]) + w[10] + SSIG0(w[2]) + w[1];
    memcpy(job->target_be, target_be, 32);
    job->target_top = be32(target_be);
}

/* ---- x86 SHA extensions ------------------------------------------------ */

#ifdef EHX_X86
/* Function-level target: the rest of the binary stays baseline x86-64 and
 * this code only runs after cpuid said yes. */
#define SHANI static inline __attribute__((always_inline, target("sha,sse4.1")))
#define KV(i) _mm_loadu_si128((const __m128i *)(K + 4 * (i)))

/* sha256rnds2 keeps the state as two vectors, ABEF and CDGH (lane 3 first). */
SHANI void to_shani(const uint32_t s[8], __m128i *abef, __m128i *cdgh) {
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);        /* B A D C */
    __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B);  /* H G F E */
    *abef = _mm_alignr_epi8(t, u, 8);
    *cdgh = _mm_blend_epi16(u, t, 0xF0);
}

/* Back to words A..D, E..H: also exactly the next hash's message words 0..7. */
SHANI void from_shani(__m128i abef, __m128i cdgh, __m128i *abcd, __m128i *efgh) {
    __m128i t = _mm_shuffle_epi32(abef, 0x1B);  /* A B E F */
    __m128i u = _mm_shuffle_epi32(cdgh, 0xB1);  /* G H C D */
    *abcd = _mm_blend_epi16(t, u, 0xF0);
    *efgh = _mm_alignr_epi8(u, t, 8);
}

/* Message words 4i..4i+3 from the four groups before them. */
SHANI __m128i next_group(__m128i m4, __m128i m3, __m128i m2, __m128i m1) {
    return _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m4, m3), _mm_alignr_epi8(m1, m2, 4)), m1);
}

/* Nonces hashed side by side. sha256rnds2 has a long latency and each call
 * needs the previous one's result; independent nonces keep the unit busy
 * (trick: interleave to hide latency). Measured on Zen 3, one thread:
 * 1 lane 17, 2 lanes 25.8, 3 lanes 27, 4 lanes 28.7, 8 lanes 30 MH/s; 4 is
 * past the knee without leaning on spills of 8 lanes' state. */
#define LANES 4

/* Four rounds for every lane. */
SHANI void rnd4(__m128i abef[LANES], __m128i cdgh[LANES], const __m128i wk[LANES]) {
    UNROLL for (int l = 0; l < LANES; l++) cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk[l]);
    UNROLL for (int l = 0; l < LANES; l++)
        abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk[l], 0x0E));
}

/* The same four rounds with one constant message (padding words) for all lanes. */
SHANI void rnd4_same(__m128i abef[LANES], __m128i cdgh[LANES], __m128i wk) {
    __m128i all[LANES];
    UNROLL for (int l = 0; l < LANES; l++) all[l] = wk;
    rnd4(abef, cdgh, all);
}

/* Extends every lane's schedule to group i (kept mod 4) and does its rounds. */
SHANI void group(__m128i abef[LANES], __m128i cdgh[LANES], __m128i m[LANES][4], int i) {
    __m128i wk[LANES];
    UNROLL for (int l = 0; l < LANES; l++) {
        m[l][i & 3] = next_group(m[l][i & 3], m[l][(i + 1) & 3], m[l][(i + 2) & 3], m[l][(i + 3) & 3]);
        wk[l] = _mm_add_epi32(m[l][i & 3], KV(i));
    }
    rnd4(abef, cdgh, wk);
}

/* What stays fixed for one header, in SHA-NI form. */
typedef struct {
    __m128i mid_abef, mid_cdgh;   /* midstate */
    __m128i r2_abef, r2_cdgh;     /* after rounds 0-1 of the second chunk */
    __m128i m0;                   /* words 0..2 of the second chunk, nonce lane empty */
    __m128i m1, m2, m3;           /* second chunk's padding words 4..15 */
    __m128i wk1, wk2, wk3;        /* ... with K added */
    __m128i iv_abef, iv_cdgh;     /* the second hash starts from IV */
    __m128i p2, p3, pwk2, pwk3;   /* the second hash's padding words 8..15, and + K */
} shani_consts;

SHANI void shani_setup(const ehx_sha256d_job *job, shani_consts *c) {
    to_shani(job->mid, &c->mid_abef, &c->mid_cdgh);
    c->m0 = _mm_set_epi32(0, (int)job->w[2], (int)job->w[1], (int)job->w[0]);
    /* Rounds 0-1 use only words 0 and 1: done once here. */
    c->r2_abef = _mm_sha256rnds2_epu32(c->mid_cdgh, c->mid_abef, _mm_add_epi32(c->m0, KV(0)));
    c->r2_cdgh = c->mid_abef;
    c->m1 = _mm_set_epi32(0, 0, 0, (int)PAD_FIRST);
    c->m2 = _mm_setzero_si128();
    c->m3 = _mm_set_epi32((int)LEN_HEADER, 0, 0, 0);
    c->wk1 = _mm_add_epi32(c->m1, KV(1));
    c->wk2 = _mm_add_epi32(c->m2, KV(2));
    c->wk3 = _mm_add_epi32(c->m3, KV(3));
    to_shani(IV, &c->iv_abef, &c->iv_cdgh);
    c->p2 = _mm_set_epi32(0, 0, 0, (int)PAD_FIRST);
    c->p3 = _mm_set_epi32((int)LEN_DIGEST, 0, 0, 0);
    c->pwk2 = _mm_add_epi32(c->p2, KV(2));
    c->pwk3 = _mm_add_epi32(c->p3, KV(3));
}

/* LANES nonces; outputs as portable_one (full == 0: word 7 only, after 31 of
 * the second hash's 32 rnds2: f after round 62 is h64). */
SHANI void shani_lanes(const shani_consts *c, const uint32_t nonce[LANES], int full, uint32_t out[LANES][8]) {
    __m128i m[LANES][4], abef[LANES], cdgh[LANES], wk[LANES];
    UNROLL for (int l = 0; l < LANES; l++) {
        m[l][0] = _mm_insert_epi32(c->m0, (int)__builtin_bswap32(nonce[l]), 3);
        m[l][1] = c->m1; m[l][2] = c->m2; m[l][3] = c->m3;
        /* rounds 2-3: the first that see the nonce */
        cdgh[l] = c->r2_abef;
        abef[l] = _mm_sha256rnds2_epu32(c->r2_cdgh, c->r2_abef,
                                        _mm_shuffle_epi32(_mm_add_epi32(m[l][0], KV(0)), 0x0E));
    }
    rnd4_same(abef, cdgh, c->wk1);
    rnd4_same(abef, cdgh, c->wk2);
    rnd4_same(abef, cdgh, c->wk3);
    UNROLL for (int i = 4; i < 16; i++) group(abef, cdgh, m, i);

    /* second hash: message = first digest + constant padding */
    UNROLL for (int l = 0; l < LANES; l++) {
        from_shani(_mm_add_epi32(abef[l], c->mid_abef), _mm_add_epi32(cdgh[l], c->mid_cdgh), &m[l][0], &m[l][1]);
        m[l][2] = c->p2; m[l][3] = c->p3;
        abef[l] = c->iv_abef; cdgh[l] = c->iv_cdgh;
    }
    UNROLL for (int l = 0; l < LANES; l++) wk[l] = _mm_add_epi32(m[l][0], KV(0));
    rnd4(abef, cdgh, wk);
    UNROLL for (int l = 0; l < LANES; l++) wk[l] = _mm_add_epi32(m[l][1], KV(1));
    rnd4(abef, cdgh, wk);
    rnd4_same(abef, cdgh, c->pwk2);
    rnd4_same(abef, cdgh, c->pwk3);
    UNROLL for (int i = 4; i < 15; i++) group(abef, cdgh, m, i);
    UNROLL for (int l = 0; l < LANES; l++) {
        m[l][3] = next_group(m[l][3], m[l][0], m[l][1], m[l][2]);
        wk[l] = _mm_add_epi32(m[l][3], KV(15));
    }
    if (full) {
        rnd4(abef, cdgh, wk);
        UNROLL for (int l = 0; l < LANES; l++) {
            __m128i lo, hi;
            from_shani(_mm_add_epi32(abef[l], c->iv_abef), _mm_add_epi32(cdgh[l], c->iv_cdgh), &lo, &hi);
            _mm_storeu_si128((__m128i *)out[l], lo);
            _mm_storeu_si128((__m128i *)(out[l] + 4), hi);
        }
    } else {
        /* rounds 60-61 only; the new ABEF's F lane (lane 0) is h64 */
        UNROLL for (int l = 0; l < LANES; l++) {
            cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk[l]);
            out[l][7] = (uint32_t)_mm_cvtsi128_si32(cdgh[l]) + IV[7];
        }
    }
}

__attribute__((target("sha,sse4.1")))
static int scan_shani(const ehx_sha256d_job *job, uint32_t from, uint32_t through, uint32_t *found) {
    shani_consts c;
    shani_setup(job, &c);
    for (uint64_t n = from; n <= through; n += LANES) {
        /* A range that is not a multiple of LANES repeats its last nonce. */
        uint32_t nonce[LANES], h[LANES][8];
        for (int l = 0; l < LANES; l++) nonce[l] = n + l <= through ? (uint32_t)(n + l) : through;
        shani_lanes(&c, nonce, 0, h);
        /* In nonce order, so the first solution of the range wins. */
        for (int l = 0; l < LANES; l++) {
            if (__builtin_expect(__builtin_bswap32(h[l][7]) <= job->target_top, 0) && confirm(job, nonce[l])) {
                *found = nonce[l];
                return 1;
            }
        }
    }
    return 0;
}

__attribute__((target("sha,sse4.1")))
static void hash_shani(const ehx_sha256d_job *job, uint32_t nonce, uint32_t out[8]) {
    shani_consts c;
    uint32_t nonces[LANES], digests[LANES][8];
    shani_setup(job, &c);
    /* The header's nonce goes in lane nonce % LANES, so random headers
     * exercise every lane; the other lanes get its neighbours. */
    int lane = (int)(nonce % LANES);
    for (int l = 0; l < LANES; l++) nonces[l] = nonce - (uint32_t)lane + (uint32_t)l;
    shani_lanes(&c, nonces, 1, digests);
    memcpy(out, digests[lane], 32);
}
#endif

/* ---- dispatch -------------------------------------------------------- */

int ehx_sha256d_has_shani(void) {
#ifdef EHX_X86
    /* cpuid can trap to the hypervisor in a VM: ask once. */
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    unsigned a, b, c, d;
    int yes = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) /* SSE4.1 */ && (c & (1u << 9)) /* SSSE3 */
              && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) /* SHA */;
    __atomic_store_n(&cached, yes, __ATOMIC_RELAXED);
    return yes;
#else
    return 0;
#endif
}

int ehx_sha256d_scan(const ehx_sha256d_job *job, int kernel, uint32_t from, uint32_t through, uint32_t *found) {
    if (from > through) return 0;
#ifdef EHX_X86
    if (kernel == EHX_SHA256D_SHANI && ehx_sha256d_has_shani()) return scan_shani(job, from, through, found);
#endif
    (void)kernel;
    return scan_portable(job, from, through, found);
}

void ehx_sha256d_hash(int kernel, const uint8_t header[80], uint8_t out[32]) {
    static const uint8_t no_target[32] = {0};
    ehx_sha256d_job job;
    ehx_sha256d_prepare(&job, header, no_target);
    uint32_t nonce = (uint32_t)header[76] | (uint32_t)header[77] << 8 | (uint32_t)header[78] << 16
                     | (uint32_t)header[79] << 24;
    uint32_t d[8];
#ifdef EHX_X86
    if (kernel == EHX_SHA256D_SHANI && ehx_sha256d_has_shani()) hash_shani(&job, nonce, d);
    else
#endif
        portable_one(&job, nonce, 1, d);
    (void)kernel;
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(d[i] >> 24);
        out[4 * i + 1] = (uint8_t)(d[i] >> 16);
        out[4 * i + 2] = (uint8_t)(d[i] >> 8);
        out[4 * i + 3] = (uint8_t)d[i];
    }
}
