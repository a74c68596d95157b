/* threads: readers look customers up while one writer adds records.
 * `threads mirror`: halfway through, the engine gets a read mirror (idr_engine_mirror_reads),
 * after which the readers never wait for the writer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "idr.h"

#define WRITES 20000
#define READERS 3

static idr_engine *engine;
static int done;
static int torn;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_done(void) {
    int d;
    pthread_mutex_lock(&done_lock);
    d = done;
    pthread_mutex_unlock(&done_lock);
    return d;
}

static void *reader(void *arg) {
    char value[64];
    unsigned long hits = 0, i = 0;
    (void)arg;
    while (!is_done()) {
        uint64_t entity;
        sprintf(value, "c%lu@mail.com", i++ % WRITES);
        if (idr_engine_lookup(engine, IDR_KIND_EMAIL, value, strlen(value), &entity) == IDR_OK) {
            idr_members *m = NULL;
            hits++;
            if (idr_engine_members(engine, entity, &m) == IDR_OK && idr_members_count(m) == 0) {
                fprintf(stderr, "torn result: an entity without members\n");
                pthread_mutex_lock(&done_lock);
                torn++;
                pthread_mutex_unlock(&done_lock);
            }
            idr_members_free(m);
        }
    }
    return (void *)hits;
}

int main(int argc, char **argv) {
    pthread_t readers[READERS];
    char key[32], email[64];
    int i;
    int mirror = argc > 1 && strcmp(argv[1], "mirror") == 0;
    if (idr_engine_create(NULL, &engine) != IDR_OK) return 1;
    for (i = 0; i < READERS; i++) pthread_create(&readers[i], NULL, reader, NULL);
    for (i = 0; i < WRITES; i++) {
        idr_identifier id;
        sprintf(key, "k%d", i);
        sprintf(email, "c%d@mail.com", i / 2);
        id.kind = IDR_KIND_EMAIL;
        id.value = email;
        id.value_len = strlen(email);
        if (mirror && i == WRITES / 2 && idr_engine_mirror_reads(engine) != IDR_OK) return 1;
        if (idr_engine_add(engine, key, strlen(key), &id, 1, NULL) != IDR_OK) return 1;
    }
    pthread_mutex_lock(&done_lock);
    done = 1;
    pthread_mutex_unlock(&done_lock);
    for (i = 0; i < READERS; i++) {
        void *hits;
        pthread_join(readers[i], &hits);
        printf("reader %d: %lu hits\n", i, (unsigned long)hits);
    }
    {
        idr_stats s;
        s.version = IDR_STATS_VERSION;
        idr_engine_stats(engine, &s);
        printf("records %lu, entities %lu%s\n", (unsigned long)s.records, (unsigned long)s.entities,
               mirror ? " (read mirror)" : "");
        idr_engine_free(engine);
        return s.entities == WRITES / 2 && torn == 0 ? 0 : 1;
    }
}
