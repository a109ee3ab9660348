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
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

/* BIO_get_mem_data is a macro, which Swift cannot import. */
static inline long ehx_bio_get_mem_data(BIO *bio, char **out) {
    return BIO_get_mem_data(bio, out);
}

/* An HMAC-SHA256 context keyed once: libcrypto keeps the key's inner and
   outer pads, so each later MAC skips the key setup and the algorithm
   fetch that one-shot HMAC() pays every time. NULL when libcrypto fails
   (out of memory) or the key is empty, which EVP_MAC_init would take as
   "keep the previous key". */
static inline EVP_MAC_CTX *ehx_hmac_sha256_new(const unsigned char *key, size_t length) {
    if (key == NULL || length == 0) return NULL;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (ctx == NULL) return NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx, key, length, params) != 1) { EVP_MAC_CTX_free(ctx); return NULL; }
    return ctx;
}

/* HMAC of first || second under the context's key (NULL key: reuse it);
   1 on success. Two parts because a record's MAC input is often its
   canonical form with one member cut out. */
static inline int ehx_hmac_sha256_two(EVP_MAC_CTX *ctx, const void *first, size_t first_length,
                                      const void *second, size_t second_length, unsigned char out[32]) {
    size_t written = 0;
    if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1) return 0;
    if (first_length > 0 && EVP_MAC_update(ctx, first, first_length) != 1) return 0;
    if (second_length > 0 && EVP_MAC_update(ctx, second, second_length) != 1) return 0;
    return EVP_MAC_final(ctx, out, &written, 32) == 1 && written == 32;
}

/* 1 when `expected` (32 bytes) is that HMAC, compared in constant time. */
static inline int ehx_hmac_sha256_two_matches(EVP_MAC_CTX *ctx, const void *first, size_t first_length,
                                              const void *second, size_t second_length,
                                              const unsigned char expected[32]) {
    unsigned char code[32];
    int ok = ehx_hmac_sha256_two(ctx, first, first_length, second, second_length, code)
        && CRYPTO_memcmp(code, expected, 32) == 0;
    OPENSSL_cleanse(code, sizeof code);
    return ok;
}

#endif
