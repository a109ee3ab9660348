#ifndef EHX_COPENSSL_SHIM_H
#define EHX_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/pkcs12.h>

/* BIO_get_mem_data is a macro, which Swift cannot import. */
static inline long ehx_bio_get_mem_data(BIO *bio, char **out) {
    return BIO_get_mem_data(bio, out);
}

/* Proof-of-work nonce scan over a SHA-256 midstate (ehx NonceSearch).
 * Written in C so the per-nonce work is a struct copy and two compressions,
 * with no Swift array traffic. SHA256_Init/Update/Final are deprecated in
 * OpenSSL 3.0 but still exported; the low-level context is what makes a
 * midstate copy cheap, so the warning is silenced here only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <stdint.h>
#include <string.h>

/* Scans nonces from..through (inclusive) of an 80-byte header for the first
 * whose double SHA-256, read as a little-endian number, is <= the 32-byte
 * big-endian target. Returns 1 and sets *found, or 0 when none does. */
static inline int ehx_sha256d_scan(const uint8_t header[80], const uint8_t target_be[32],
                                   uint32_t from, uint32_t through, uint32_t *found) {
    SHA256_CTX mid;
    SHA256_Init(&mid);
    SHA256_Update(&mid, header, 64);
    uint8_t tail[16];
    memcpy(tail, header + 64, 16);
    uint32_t nonce = from;
    for (;;) {
        tail[12] = (uint8_t)nonce;
        tail[13] = (uint8_t)(nonce >> 8);
        tail[14] = (uint8_t)(nonce >> 16);
        tail[15] = (uint8_t)(nonce >> 24);
        SHA256_CTX ctx = mid;
        uint8_t first[32], second[32];
        SHA256_Update(&ctx, tail, 16);
        SHA256_Final(first, &ctx);
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, first, 32);
        SHA256_Final(second, &ctx);
        int met = 1;
        for (int i = 0; i < 32; i++) {
            uint8_t h = second[31 - i], t = target_be[i];
            if (h != t) { met = h < t; break; }
        }
        if (met) { *found = nonce; return 1; }
        /* Tested before the increment so through == UINT32_MAX cannot wrap. */
        if (nonce == through) return 0;
        nonce++;
    }
}
#pragma GCC diagnostic pop

#endif
