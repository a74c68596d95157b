/* libFuzzer target: random sequences of C API calls read from the input bytes, with hostile
 * arguments (raw value bytes with NULs and invalid UTF-8, unknown kinds, arbitrary batch offsets,
 * junk kind names). Every call must return a status, never crash; and the answers must stay
 * consistent: an add's entity is the record's entity, a lookup's entity resolves to itself, every
 * member of an entity belongs to it, a saved and reloaded engine answers the same. A broken
 * property aborts, which libFuzzer reports as a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "idr.h"

typedef struct { const uint8_t *p; size_t n; } cursor;

static unsigned next(cursor *c) {
    if (c->n == 0) return 0;
    c->n--;
    return *c->p++;
}

/* Up to `max` raw bytes of the input. */
static size_t take(cursor *c, const uint8_t **out, size_t max) {
    size_t len = next(c) % (max + 1);
    if (len > c->n) len = c->n;
    *out = c->p;
    c->p += len;
    c->n -= len;
    return len;
}

static void must(int cond, const char *what) {
    if (!cond) {
        fprintf(stderr, "property broken: %s\n", what);
        abort();
    }
}

static const char *keys[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k\xc3\xa9"};

static void check_members(idr_engine *e, const char *key) {
    uint64_t entity = 0, other = 0;
    idr_members *m = NULL;
    size_t i, len = 0;
    if (idr_engine_entity_of(e, key, strlen(key), &entity) != IDR_OK) return;
    must(idr_engine_members(e, entity, &m) == IDR_OK, "members of a live entity");
    for (i = 0; i < idr_members_count(m); i++) {
        const char *k = idr_members_key(m, i, &len);
        must(idr_engine_entity_of(e, k, len, &other) == IDR_OK && other == entity, "a member belongs to its entity");
    }
    idr_members_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t secret[] = "fuzzing secret, long enough";
    cursor c = {data, size};
    idr_options o;
    idr_engine *e = NULL;
    unsigned mode = next(&c);
    char path[64];
    int ops = 0;
    idr_options_init(&o);
    o.flags = IDR_FLAG_EVENTS | ((mode & 1) ? IDR_FLAG_NO_ERASURE_TOMBSTONES : 0);
    o.generic_threshold[IDR_KIND_EMAIL] = 1 + (mode >> 4) % 3;
    if (mode & 2) {
        o.hash_only_secret = secret;
        o.hash_only_secret_len = sizeof secret - 1;
    }
    if (mode & 4) o.max_value_length = 8;
    if (idr_engine_create(&o, &e) != IDR_OK) abort();
    snprintf(path, sizeof path, "/tmp/idr-fuzz-calls-%d", (int)getpid());
    while (c.n > 0 && ops++ < 200) {
        unsigned op = next(&c) % 13;
        const char *key = keys[next(&c) % 8];
        uint32_t kind = next(&c) % 18;   /* 0 and 6..15 are unknown; 16, 17 custom if registered */
        const uint8_t *value = NULL;
        size_t value_len = take(&c, &value, 24);
        uint64_t entity = 0, again = 0;
        switch (op) {
        case 0: case 1: {
            idr_identifier ids[3];
            size_t n = next(&c) % 4, i;
            idr_status st;
            for (i = 0; i < n; i++) {
                ids[i].kind = i == 0 ? kind : 1 + next(&c) % 5;
                ids[i].value_len = i == 0 ? value_len : take(&c, &value, 16);
                ids[i].value = (const char *)value;
            }
            st = idr_engine_add(e, key, strlen(key), ids, n, &entity);
            if (st == IDR_OK) {
                must(idr_engine_entity_of(e, key, strlen(key), &again) == IDR_OK && again == entity, "add returns the record's entity");
            }
            break;
        }
        case 2:
            idr_engine_remove(e, key, strlen(key));
            must(idr_engine_entity_of(e, key, strlen(key), &again) == IDR_E_NOT_FOUND, "a removed record is gone");
            break;
        case 3: {
            size_t count = 0;
            idr_engine_erase(e, kind, (const char *)value, value_len, &count);
            break;
        }
        case 4:
            if (idr_engine_lookup(e, kind, (const char *)value, value_len, &entity) == IDR_OK) {
                must(idr_engine_resolve(e, entity, &again) == IDR_OK && again == entity, "a lookup's entity is live");
            }
            break;
        case 5:
            check_members(e, key);
            break;
        case 6: {
            idr_text *t = NULL;
            const char *other = keys[next(&c) % 8];
            if (idr_engine_why(e, key, strlen(key), other, strlen(other), &t) == IDR_OK) idr_text_free(t);
            if (idr_engine_entity_of(e, key, strlen(key), &entity) == IDR_OK) {
                must(idr_engine_how(e, entity, &t) == IDR_OK, "how of a live entity");
                idr_text_free(t);
            }
            break;
        }
        case 7: {
            /* A batch with offsets taken from the input: mostly invalid, never a crash. */
            uint64_t key_off[4], col_off[4];
            const uint64_t *offsets[1];
            const char *col_data[1];
            size_t col_len[1];
            uint32_t kinds[1];
            uint64_t out[3];
            size_t processed = 0, records = next(&c) % 4, i;
            for (i = 0; i <= records; i++) {
                key_off[i] = next(&c) % 12;
                col_off[i] = next(&c) % 30;
            }
            kinds[0] = kind;
            col_data[0] = (const char *)value;
            col_len[0] = value_len;
            offsets[0] = col_off;
            idr_engine_add_columns(e, records, "k0k1k2k3k4k5", 12, key_off, 1, kinds, col_data, col_len, offsets, out, &processed);
            must(processed <= records, "processed within the batch");
            break;
        }
        case 8: {
            idr_engine *loaded = NULL;
            int i;
            if (idr_engine_save_to(e, path, strlen(path)) != IDR_OK) break;
            if (idr_engine_load(path, strlen(path), &o, &loaded) != IDR_OK) {
                fprintf(stderr, "load: %s\n", idr_engine_last_error(NULL));
                must(0, "a saved engine loads");
            }
            for (i = 0; i < 8; i++) {
                uint64_t a = 0, b = 0;
                idr_status sa = idr_engine_entity_of(e, keys[i], strlen(keys[i]), &a);
                idr_status sb = idr_engine_entity_of(loaded, keys[i], strlen(keys[i]), &b);
                must(sa == sb && a == b, "a reloaded engine answers the same");
            }
            idr_engine_free(loaded);
            unlink(path);
            break;
        }
        case 9: {
            uint32_t out = 0;
            idr_engine_register_kind_ex(e, (const char *)value, value_len, next(&c) % 8, next(&c) % 4, &out);
            break;
        }
        case 10: {
            idr_events *ev = NULL;
            idr_event one;
            size_t i;
            must(idr_engine_drain_events(e, &ev) == IDR_OK, "drain");
            for (i = 0; i < idr_events_count(ev); i++) must(idr_events_get(ev, i, &one) == IDR_OK, "event");
            idr_events_free(ev);
            break;
        }
        case 11: {
            /* A column normalized with the engine's configuration, offsets from the input. */
            uint64_t offsets[5], out_offsets[5];
            uint8_t flags[4];
            char out[24 + 4 * IDR_NORMALIZE_SLACK];
            size_t count = next(&c) % 5, i;
            for (i = 0; i <= count; i++) offsets[i] = next(&c) % 26;
            if (idr_engine_normalize_column(e, kind, count, (const char *)value, value_len, offsets, out, sizeof out,
                                            out_offsets, flags) == IDR_OK) {
                for (i = 0; i < count; i++) must(out_offsets[i] <= out_offsets[i + 1] && out_offsets[i + 1] <= sizeof out, "normalized offsets");
            }
            break;
        }
        default: {
            idr_stats s;
            s.version = IDR_STATS_VERSION;
            must(idr_engine_stats(e, &s) == IDR_OK, "stats");
            must(s.entities <= s.records, "no more entities than records");
            break;
        }
        }
    }
    idr_engine_free(e);
    return 0;
}
