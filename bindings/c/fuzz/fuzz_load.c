/* libFuzzer target: the snapshot loader (idr_engine_load) and the log replay (idr_engine_open)
 * must refuse any bytes cleanly: a status, never a crash, hang or huge allocation.
 *
 * A snapshot's checksums would stop almost every mutation at the door, so an input that starts
 * like a snapshot is also loaded "resealed": every section checksum and the file digest
 * recomputed, so that mutations reach the structural checks of the tables behind them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include "idr.h"

static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Recomputes the section checksums (u32 tag, u64 length, u64 XXH3-64, payload) and the digest
 * in the last 8 bytes, as far as the framing goes. */
static void reseal(uint8_t *b, size_t size) {
    size_t off = 20;
    while (off + 20 <= size - 16) {
        uint64_t len = get64(b + off + 4);
        if (len > size - 16 - (off + 20)) break;
        put64(b + off + 12, XXH3_64bits(b + off + 20, (size_t)len));
        off += 20 + (size_t)len;
    }
    put64(b + size - 8, XXH3_64bits(b, size - 8));
}

static void load_both(const char *path, const idr_options *hashed) {
    idr_engine *e = NULL;
    if (idr_engine_load(path, strlen(path), NULL, &e) == IDR_OK) {
        idr_stats s;
        s.version = IDR_STATS_VERSION;
        idr_engine_stats(e, &s);
        idr_engine_free(e);
    }
    e = NULL;
    if (idr_engine_load(path, strlen(path), hashed, &e) == IDR_OK) idr_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t secret[] = "fuzzing secret, long enough";
    char path[64], log[72];
    FILE *f;
    idr_engine *e = NULL;
    idr_options hashed;
    idr_options_init(&hashed);
    hashed.hash_only_secret = secret;
    hashed.hash_only_secret_len = sizeof secret - 1;
    snprintf(path, sizeof path, "/tmp/idr-fuzz-%d", (int)getpid());
    snprintf(log, sizeof log, "%s.log", path);
    /* As a snapshot. */
    f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    /* As a plain state and as a hash-only state with its secret. */
    load_both(path, &hashed);
    /* Resealed, when it looks like a snapshot. */
    if (size >= 36 && memcmp(data, "IDRSNAP", 8) == 0) {
        uint8_t *copy = malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        reseal(copy, size);
        f = fopen(path, "wb");
        if (!f) { free(copy); return 0; }
        fwrite(copy, 1, size, f);
        fclose(f);
        free(copy);
        load_both(path, &hashed);
    }
    /* As a log next to no snapshot (a log of generation 0 replays). */
    unlink(path);
    f = fopen(log, "wb");
    if (!f) return 0;
    fwrite("IDRLOG\0\0\0\0\0\0\0\0\0\0", 1, 16, f);
    fwrite(data, 1, size, f);
    fclose(f);
    e = NULL;
    if (idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &e) == IDR_OK) idr_engine_free(e);
    unlink(path);
    e = NULL;
    if (idr_engine_open(path, strlen(path), &hashed, IDR_SYNC_PROCESS, &e) == IDR_OK) idr_engine_free(e);
    unlink(path);
    unlink(log);
    return 0;
}
