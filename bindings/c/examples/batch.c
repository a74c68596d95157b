/* batch: many records in one call, as columns (one byte buffer plus offsets per column). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "idr.h"

#define RECORDS 100000

/* Appends `s` to a growing buffer and records the end offset. */
static void push(char **buf, size_t *len, size_t *cap, uint64_t *offsets, size_t i, const char *s) {
    size_t n = strlen(s);
    if (*len + n > *cap) {
        *cap = (*cap + n) * 2;
        *buf = (char *)realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    offsets[i + 1] = *len;
}

int main(void) {
    char *keys = NULL, *emails = NULL, *phones = NULL;
    size_t keys_len = 0, keys_cap = 0, emails_len = 0, emails_cap = 0, phones_len = 0, phones_cap = 0;
    uint64_t *key_off = (uint64_t *)calloc(RECORDS + 1, sizeof(uint64_t));
    uint64_t *email_off = (uint64_t *)calloc(RECORDS + 1, sizeof(uint64_t));
    uint64_t *phone_off = (uint64_t *)calloc(RECORDS + 1, sizeof(uint64_t));
    uint64_t *entities = (uint64_t *)calloc(RECORDS, sizeof(uint64_t));
    char tmp[64];
    size_t i, processed = 0;
    int status = 0;
    idr_engine *engine = NULL;

    for (i = 0; i < RECORDS; i++) {
        /* Two records per customer: one with the email, one with the email and a phone. */
        sprintf(tmp, "r%zu", i);
        push(&keys, &keys_len, &keys_cap, key_off, i, tmp);
        sprintf(tmp, "customer%zu@mail.com", i / 2);
        push(&emails, &emails_len, &emails_cap, email_off, i, tmp);
        if (i % 2) sprintf(tmp, "555%07zu", i / 2); else tmp[0] = '\0';
        push(&phones, &phones_len, &phones_cap, phone_off, i, tmp);
    }
    if (idr_engine_create(NULL, &engine) != IDR_OK) return 1;
    {
        const uint32_t kinds[2] = {IDR_KIND_EMAIL, IDR_KIND_PHONE};
        const char *data[2];
        size_t data_len[2];
        const uint64_t *offsets[2];
        data[0] = emails; data[1] = phones;
        data_len[0] = emails_len; data_len[1] = phones_len;
        offsets[0] = email_off; offsets[1] = phone_off;
        if (idr_engine_add_columns(engine, RECORDS, keys, keys_len, key_off, 2, kinds, data, data_len, offsets,
                                   entities, &processed) != IDR_OK) {
            fprintf(stderr, "add_columns: %s (after %zu records)\n", idr_engine_last_error(engine), processed);
            status = 1;
        }
    }
    if (status == 0) {
        idr_stats stats;
        stats.version = IDR_STATS_VERSION;
        idr_engine_stats(engine, &stats);
        printf("records %" PRIu64 ", entities %" PRIu64 ", largest %" PRIu64 "\n", stats.records, stats.entities,
               stats.largest_entity);
        status = (stats.entities == RECORDS / 2 && entities[0] == entities[1]) ? 0 : 1;
    }
    idr_engine_free(engine);
    free(keys); free(emails); free(phones); free(key_off); free(email_off); free(phone_off); free(entities);
    return status;
}
