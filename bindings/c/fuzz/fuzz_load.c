/* libFuzzer target: the snapshot loader (idr_engine_load) and the log replay (idr_engine_open)
 * must refuse any bytes cleanly: a status, never a crash, hang or huge allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "idr.h"

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
    if (idr_engine_load(path, strlen(path), NULL, &e) == IDR_OK) {
        idr_stats s;
        s.version = IDR_STATS_VERSION;
        idr_engine_stats(e, &s);
        idr_engine_free(e);
    }
    e = NULL;
    /* And as a hash-only state, with its secret. */
    if (idr_engine_load(path, strlen(path), &hashed, &e) == IDR_OK) idr_engine_free(e);
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
