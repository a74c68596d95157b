/* The C test suite of libidr: every function of idr.h and its error paths. Run under
 * AddressSanitizer + UndefinedBehaviorSanitizer and valgrind by `make test`. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "idr.h"

static int passed, failed;

#define CHECK(cond) do { \
        if (cond) { passed++; } \
        else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)
#define S(literal) literal, strlen(literal)

static int contains(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }

static idr_engine *new_engine(void) {
    idr_engine *e = NULL;
    if (idr_engine_create(NULL, &e) != IDR_OK) { fprintf(stderr, "cannot create an engine\n"); exit(2); }
    return e;
}

static void test_version_and_status(void) {
    CHECK(idr_version_number() == IDR_VERSION_NUMBER);
    CHECK(strcmp(idr_version_string(), IDR_VERSION_STRING) == 0);
    CHECK(strcmp(idr_status_string(IDR_OK), "ok") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_INVALID_ARGUMENT), "invalid argument") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_NOT_FOUND), "not found") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_BUFFER_TOO_SMALL), "buffer too small") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_INVALID_UTF8), "invalid UTF-8") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_IO), "I/O error") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_CORRUPT), "corrupt data") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_NO_MEMORY), "out of memory") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_LIMIT_EXCEEDED), "limit exceeded") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_UNKNOWN_KIND), "unknown kind") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_INVALID_VALUE), "invalid value") == 0);
    CHECK(strcmp(idr_status_string(IDR_E_VERSION), "unsupported version") == 0);
    CHECK(strcmp(idr_status_string((idr_status)-12345), "unknown status") == 0);
}

static void test_normalize(void) {
    char out[64];
    size_t n = 0;
    CHECK(idr_normalize(IDR_KIND_EMAIL, S(" Ann@Example.COM "), out, sizeof out, &n) == IDR_OK);
    CHECK(n == 15 && strcmp(out, "ann@example.com") == 0);
    CHECK(idr_normalize(IDR_KIND_PHONE, S("(555) 123-4567"), out, sizeof out, &n) == IDR_OK && strcmp(out, "+15551234567") == 0);
    CHECK(idr_normalize(IDR_KIND_DEVICE_ID, S("{6F9619FF8B86D011B42D00C04FC964FF}"), out, sizeof out, &n) == IDR_OK
          && strcmp(out, "6f9619ff-8b86-d011-b42d-00c04fc964ff") == 0);
    CHECK(idr_normalize(IDR_KIND_LOYALTY_ID, S(" ly-0042 "), out, sizeof out, &n) == IDR_OK && strcmp(out, "LY0042") == 0);
    CHECK(idr_normalize(IDR_KIND_POS_CARD, S("tok 12-34"), out, sizeof out, &n) == IDR_OK && strcmp(out, "TOK1234") == 0);
    /* Invalid values name their reason. */
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("not-an-email"), out, sizeof out, &n) == IDR_E_INVALID_VALUE);
    CHECK(contains(idr_engine_last_error(NULL), "email_at_sign"));
    CHECK(idr_normalize(IDR_KIND_DEVICE_ID, S("00000000-0000-0000-0000-000000000000"), out, sizeof out, &n) == IDR_E_INVALID_VALUE);
    CHECK(idr_normalize(IDR_KIND_EMAIL, "a\xff@b.com", 8, out, sizeof out, &n) == IDR_E_INVALID_VALUE);
    CHECK(contains(idr_engine_last_error(NULL), "invalid_utf8"));
    CHECK(idr_normalize(IDR_KIND_EMAIL, "a\0b@x.com", 9, out, sizeof out, &n) == IDR_E_INVALID_VALUE);
    /* Buffer sizes: exactly n + 1 works; less reports the size needed and writes nothing. */
    memset(out, 'x', sizeof out);
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("a@b.co"), out, 7, &n) == IDR_OK && n == 6 && out[6] == '\0');
    memset(out, 'x', sizeof out);
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("a@b.co"), out, 6, &n) == IDR_E_BUFFER_TOO_SMALL && n == 6 && out[0] == 'x');
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("a@b.co"), NULL, 0, &n) == IDR_E_BUFFER_TOO_SMALL && n == 6);
    /* Argument errors. */
    CHECK(idr_normalize(99, S("x"), out, sizeof out, &n) == IDR_E_UNKNOWN_KIND);
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("a@b.co"), out, sizeof out, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_normalize(IDR_KIND_EMAIL, NULL, 3, out, sizeof out, &n) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_normalize(IDR_KIND_EMAIL, S("a@b.co"), NULL, 10, &n) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_normalize(IDR_KIND_EMAIL, NULL, 0, out, sizeof out, &n) == IDR_E_INVALID_VALUE);
    CHECK(idr_normalize(IDR_KIND_EMAIL, "x", (size_t)-1, out, sizeof out, &n) == IDR_E_INVALID_ARGUMENT);
    {
        /* A huge value is rejected without a huge allocation. */
        size_t big = 10u * 1024u * 1024u;
        char *huge = (char *)malloc(big);
        memset(huge, 'a', big);
        CHECK(idr_normalize(IDR_KIND_LOYALTY_ID, huge, big, out, sizeof out, &n) == IDR_E_INVALID_VALUE);
        CHECK(contains(idr_engine_last_error(NULL), "too_long"));
        free(huge);
    }
}

static void test_options_and_create(void) {
    idr_options o;
    idr_engine *e = NULL;
    idr_options_init(NULL);
    idr_options_init(&o);
    CHECK(o.version == IDR_OPTIONS_VERSION);
    CHECK(o.default_country_code == 1 && o.phone_trunk_prefix == IDR_TRUNK_AUTO && o.flags == 0);
    CHECK(o.generic_threshold[IDR_KIND_EMAIL] == 10 && o.generic_threshold[IDR_KIND_PHONE] == 1);
    CHECK(o.generic_threshold[IDR_KIND_LOYALTY_ID] == 2 && o.generic_threshold[IDR_KIND_POS_CARD] == 4);
    CHECK(o.max_record_key_length == 1024 && o.max_identifiers_per_record == 256);
    CHECK(idr_engine_create(&o, &e) == IDR_OK && e != NULL);
    idr_engine_free(e);
    idr_engine_free(NULL);
    CHECK(idr_engine_create(&o, NULL) == IDR_E_INVALID_ARGUMENT);
    o.version = 999;
    e = (idr_engine *)&o;
    CHECK(idr_engine_create(&o, &e) == IDR_E_VERSION && e == NULL);
    CHECK(contains(idr_engine_last_error(NULL), "999"));
    idr_options_init(&o);
    o.default_country_code = 0;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    idr_options_init(&o);
    o.phone_trunk_prefix = 12;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    idr_options_init(&o);
    o.flags = 1u << 30;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    idr_options_init(&o);
    o.max_record_key_length = 0;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    idr_options_init(&o);
    o.max_records = 5000000000ull;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    /* Options take effect: country 44, Gmail dots, no generic guard. */
    idr_options_init(&o);
    o.default_country_code = 44;
    o.flags = IDR_FLAG_EMAIL_GMAIL_DOTS | IDR_FLAG_NO_GENERIC_GUARD;
    CHECK(idr_engine_create(&o, &e) == IDR_OK);
    {
        idr_identifier a = {IDR_KIND_PHONE, S("020 7946 0958")};
        idr_identifier b = {IDR_KIND_EMAIL, S("a.nn@gmail.com")};
        uint64_t x = 0, y = 0;
        CHECK(idr_engine_add(e, S("a"), &a, 1, &x) == IDR_OK);
        CHECK(idr_engine_lookup(e, IDR_KIND_PHONE, S("+44 20 7946 0958"), &y) == IDR_OK && x == y);
        CHECK(idr_engine_add(e, S("b"), &b, 1, &x) == IDR_OK);
        CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("ann@googlemail.com"), &y) == IDR_OK && x == y);
    }
    idr_engine_free(e);
}

static void test_kinds(void) {
    idr_engine *e = new_engine();
    uint32_t crm = 0, again = 0, other = 0;
    uint64_t a = 0, b = 0;
    idr_identifier id1, id2;
    CHECK(idr_engine_register_kind(e, S("crm_id"), &crm) == IDR_OK && crm == IDR_KIND_FIRST_CUSTOM);
    CHECK(idr_engine_register_kind(e, S("crm_id"), &again) == IDR_OK && again == crm);
    CHECK(idr_engine_find_kind(e, S("crm_id"), &again) == IDR_OK && again == crm);
    CHECK(idr_engine_find_kind(e, S("email"), &again) == IDR_OK && again == IDR_KIND_EMAIL);
    CHECK(idr_engine_find_kind(e, S("nope"), &again) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_find_kind(e, S("nope"), NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind_ex(e, S("member"), IDR_RULE_TOKEN, UINT32_MAX, &other) == IDR_OK && other == crm + 1);
    CHECK(idr_engine_register_kind_ex(e, S("crm_id"), IDR_RULE_TOKEN, UINT32_MAX, &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(contains(idr_engine_last_error(e), "other settings"));
    CHECK(idr_engine_register_kind(e, S(""), &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(e, S("Bad-Name"), &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(e, S("email"), &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(e, S("a_name_that_is_far_too_long_to_be_a_kind_name_of_any_sensible_system_x"), &again)
          == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(e, NULL, 4, &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(e, S("x"), NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind(NULL, S("x"), &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_register_kind_ex(e, S("y"), 77, 0, &again) == IDR_E_INVALID_ARGUMENT);
    /* The exact rule keeps case; the token rule does not. */
    id1.kind = crm; id1.value = "C-1"; id1.value_len = 3;
    id2.kind = crm; id2.value = "c-1"; id2.value_len = 3;
    CHECK(idr_engine_add(e, S("r1"), &id1, 1, &a) == IDR_OK && idr_engine_add(e, S("r2"), &id2, 1, &b) == IDR_OK && a != b);
    id1.kind = other; id2.kind = other;
    CHECK(idr_engine_add(e, S("r3"), &id1, 1, &a) == IDR_OK && idr_engine_add(e, S("r4"), &id2, 1, &b) == IDR_OK && a == b);
    idr_engine_free(e);
}

static void test_add_and_reads(void) {
    idr_engine *e = new_engine();
    idr_engine *other = new_engine();
    uint64_t a = 0, b = 0, c = 0, x = 0;
    idr_identifier ids[3] = {{IDR_KIND_EMAIL, S("a@x.com")}, {IDR_KIND_PHONE, S("555 010 0001")}, {IDR_KIND_EMAIL, S("")}};
    idr_identifier phone = {IDR_KIND_PHONE, S("+1 555 010 0001")};
    idr_identifier junk[2] = {{IDR_KIND_EMAIL, S("test@test.com")}, {IDR_KIND_DEVICE_ID, S("00000000-0000-0000-0000-000000000000")}};
    idr_identifier bad_kind = {42, S("v")};
    idr_identifier null_value = {IDR_KIND_EMAIL, NULL, 3};
    idr_members *m = NULL;
    size_t len = 0;
    idr_stats s;

    CHECK(idr_engine_add(e, S("a"), ids, 3, &a) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), &phone, 1, &b) == IDR_OK && a == b);
    CHECK(idr_engine_add(e, S("c"), junk, 2, &c) == IDR_OK && c != a);
    CHECK(idr_engine_add(e, S("d"), junk, 1, NULL) == IDR_OK);
    CHECK(idr_engine_entity_of(e, S("d"), &x) == IDR_OK && x != c);
    /* A NUL byte is an ordinary byte of a key. */
    CHECK(idr_engine_add(e, "k\0z", 3, &phone, 1, &x) == IDR_OK && x == a);
    CHECK(idr_engine_entity_of(e, "k\0z", 3, &x) == IDR_OK && x == a);
    CHECK(idr_engine_entity_of(e, "k", 1, &x) == IDR_E_NOT_FOUND);

    /* Errors leave nothing behind and name the problem. */
    CHECK(idr_engine_add(NULL, S("z"), ids, 1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_add(e, NULL, 1, ids, 1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_add(e, S(""), ids, 1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(contains(idr_engine_last_error(e), "empty"));
    CHECK(strcmp(idr_engine_last_error(other), "") == 0);
    CHECK(idr_engine_add(e, "z\xc3", 2, ids, 1, &x) == IDR_E_INVALID_UTF8);
    CHECK(idr_engine_add(e, S("z"), NULL, 1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_add(e, S("z"), &bad_kind, 1, &x) == IDR_E_UNKNOWN_KIND);
    CHECK(idr_engine_add(e, S("z"), &null_value, 1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_add(e, S("z"), ids, (size_t)-1, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_add(e, S("z"), ids, 300, &x) == IDR_E_LIMIT_EXCEEDED);
    CHECK(idr_engine_entity_of(e, S("z"), &x) == IDR_E_NOT_FOUND);
    {
        char key[2000];
        memset(key, 'k', sizeof key);
        CHECK(idr_engine_add(e, key, sizeof key, ids, 1, &x) == IDR_E_LIMIT_EXCEEDED);
    }
    /* Success clears the thread's message. */
    CHECK(idr_engine_entity_of(e, S("a"), &x) == IDR_OK && strcmp(idr_engine_last_error(e), "") == 0);

    /* Lookups. */
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S(" A@X.COM "), &x) == IDR_OK && x == a);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("test@test.com"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("nobody@x.com"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("garbage"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_lookup(e, 42, S("v"), &x) == IDR_E_UNKNOWN_KIND);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, NULL, 2, &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("a@x.com"), NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_lookup(NULL, IDR_KIND_EMAIL, S("a@x.com"), &x) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_entity_of(e, S("a"), NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_entity_of(NULL, S("a"), &x) == IDR_E_INVALID_ARGUMENT);

    /* Members. */
    CHECK(idr_engine_members(e, a, &m) == IDR_OK);
    CHECK(idr_members_count(m) == 3);
    CHECK(strcmp(idr_members_key(m, 0, &len), "a") == 0 && len == 1);
    CHECK(strcmp(idr_members_key(m, 1, &len), "b") == 0);
    CHECK(idr_members_key(m, 2, &len) != NULL && len == 3 && memcmp(idr_members_key(m, 2, NULL), "k\0z", 3) == 0);
    CHECK(idr_members_key(m, 3, &len) == NULL);
    CHECK(idr_members_key(NULL, 0, &len) == NULL);
    CHECK(idr_members_count(NULL) == 0);
    idr_members_free(m);
    idr_members_free(NULL);
    CHECK(idr_engine_members(e, 12345, &m) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_members(e, a, NULL) == IDR_E_INVALID_ARGUMENT);

    /* Upsert, remove, resolve. */
    CHECK(idr_engine_add(e, S("b"), &phone, 1, &x) == IDR_OK && x == a);
    CHECK(idr_engine_remove(e, S("a")) == IDR_OK);
    CHECK(idr_engine_remove(e, S("a")) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_remove(e, NULL, 1) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_remove(NULL, S("a")) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_entity_of(e, S("b"), &x) == IDR_OK);
    CHECK(idr_engine_resolve(e, x, &b) == IDR_OK && b == x);
    CHECK(idr_engine_resolve(e, 777, &b) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_resolve(e, x, NULL) == IDR_E_INVALID_ARGUMENT);
    {
        /* Merge: the older entity's ID survives and the other redirects. */
        idr_identifier p = {IDR_KIND_LOYALTY_ID, S("LY-7")};
        idr_identifier bridge[2] = {{IDR_KIND_LOYALTY_ID, S("LY-7")}, {IDR_KIND_PHONE, S("5550100001")}};
        uint64_t young = 0, merged = 0, now = 0;
        CHECK(idr_engine_add(e, S("y"), &p, 1, &young) == IDR_OK && young != x);
        CHECK(idr_engine_add(e, S("bridge"), bridge, 2, &merged) == IDR_OK && merged == x);
        CHECK(idr_engine_resolve(e, young, &now) == IDR_OK && now == x);
    }

    /* Stats. */
    s.version = 0;
    CHECK(idr_engine_stats(e, &s) == IDR_E_VERSION);
    CHECK(idr_engine_stats(e, NULL) == IDR_E_INVALID_ARGUMENT);
    s.version = IDR_STATS_VERSION;
    CHECK(idr_engine_stats(e, &s) == IDR_OK);
    CHECK(s.records == 6 && s.entities == 3 && s.largest_entity == 4);
    CHECK(s.placeholder_values == 1 && s.invalid_values == 1);
    idr_engine_free(e);
    idr_engine_free(other);
}

static void test_add_columns(void) {
    idr_engine *e = new_engine();
    const char keys[] = "r0r1r2r3";
    const uint64_t key_off[5] = {0, 2, 4, 6, 8};
    const char emails[] = "a@x.coma@x.comb@x.com";
    const uint64_t email_off[5] = {0, 7, 14, 14, 21};
    const char phones[] = "55501000015550100001";
    const uint64_t phone_off[5] = {0, 0, 0, 10, 20};
    const uint32_t kinds[2] = {IDR_KIND_EMAIL, IDR_KIND_PHONE};
    const char *data[2];
    size_t data_len[2];
    const uint64_t *offsets[2];
    uint64_t out[4] = {0, 0, 0, 0};
    size_t processed = 99;
    data[0] = emails; data[1] = phones;
    data_len[0] = strlen(emails); data_len[1] = strlen(phones);
    offsets[0] = email_off; offsets[1] = phone_off;

    CHECK(idr_engine_add_columns(e, 4, keys, 8, key_off, 2, kinds, data, data_len, offsets, out, &processed) == IDR_OK);
    CHECK(processed == 4);
    /* r0, r1 share an email; r2 and r3 share a phone; r3 has b@x.com too: two entities. */
    CHECK(out[0] == out[1] && out[2] == out[3]);
    {
        uint64_t x;
        CHECK(idr_engine_entity_of(e, S("r3"), &x) == IDR_OK && x == out[3]);
        CHECK(idr_engine_entity_of(e, S("r0"), &x) == IDR_OK && x != out[3]);
    }
    CHECK(idr_engine_add_columns(e, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, &processed) == IDR_OK && processed == 0);
    /* Bad offsets and NULL arrays. */
    {
        const uint64_t backwards[5] = {0, 2, 1, 6, 8};
        const uint64_t past[5] = {0, 2, 4, 6, 9};
        CHECK(idr_engine_add_columns(e, 4, keys, 8, backwards, 0, NULL, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        CHECK(idr_engine_add_columns(e, 4, keys, 8, past, 0, NULL, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        CHECK(idr_engine_add_columns(e, 4, keys, 8, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        CHECK(idr_engine_add_columns(e, 4, keys, 8, key_off, 2, NULL, data, data_len, offsets, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        CHECK(idr_engine_add_columns(e, 4, keys, 8, key_off, 5000, kinds, data, data_len, offsets, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        CHECK(idr_engine_add_columns(NULL, 4, keys, 8, key_off, 0, NULL, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        const uint64_t phone_past[5] = {0, 0, 0, 10, 21};
        offsets[1] = phone_past;
        CHECK(idr_engine_add_columns(e, 4, keys, 8, key_off, 2, kinds, data, data_len, offsets, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
        offsets[1] = phone_off;
    }
    /* An error mid-batch: the records before it are in, the failing one is named. */
    {
        const char k2[] = "s0s1s3";
        const uint64_t k2_off[4] = {0, 2, 4, 4};   /* record 2 has an empty key */
        const uint64_t none[4] = {0, 0, 0, 0};
        const char *d2[1];
        size_t l2[1] = {0};
        const uint64_t *o2[1];
        d2[0] = ""; o2[0] = none;
        processed = 99;
        CHECK(idr_engine_add_columns(e, 3, k2, 6, k2_off, 1, kinds, d2, l2, o2, NULL, &processed) == IDR_E_INVALID_ARGUMENT);
        CHECK(processed == 2);
        CHECK(contains(idr_engine_last_error(e), "record 2"));
    }
    idr_engine_free(e);
}

static void test_events_and_explanations(void) {
    idr_options o;
    idr_engine *e = NULL;
    idr_events *events = NULL;
    idr_event ev;
    idr_text *text = NULL;
    uint64_t a = 0, b = 0, merged = 0;
    size_t len = 0;
    idr_identifier email = {IDR_KIND_EMAIL, S("a@x.com")};
    idr_identifier phone = {IDR_KIND_PHONE, S("5550100001")};
    idr_identifier both[2] = {{IDR_KIND_EMAIL, S("A@x.com")}, {IDR_KIND_PHONE, S("555-010-0001")}};
    idr_identifier junk = {IDR_KIND_EMAIL, S("test@test.com")};
    idr_options_init(&o);
    o.flags = IDR_FLAG_EVENTS;
    CHECK(idr_engine_create(&o, &e) == IDR_OK);
    CHECK(idr_engine_add(e, S("a"), &email, 1, &a) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), &phone, 1, &b) == IDR_OK);
    CHECK(idr_engine_add(e, S("c"), both, 2, &merged) == IDR_OK && merged == a);
    CHECK(idr_engine_drain_events(e, &events) == IDR_OK);
    CHECK(idr_events_count(events) == 3);
    CHECK(idr_events_get(events, 0, &ev) == IDR_OK && ev.type == IDR_EVENT_CREATED && ev.entity == a
          && ev.record_key_len == 1 && ev.record_key[0] == 'a' && ev.identifier == NULL);
    CHECK(idr_events_get(events, 2, &ev) == IDR_OK && ev.type == IDR_EVENT_MERGED && ev.entity == a && ev.other == b
          && ev.identifier_kind == IDR_KIND_PHONE && strcmp(ev.identifier, "+15550100001") == 0);
    CHECK(idr_events_get(events, 3, &ev) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_events_get(NULL, 0, &ev) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_events_get(events, 0, NULL) == IDR_E_INVALID_ARGUMENT);
    idr_events_free(events);
    idr_events_free(NULL);
    CHECK(idr_events_count(NULL) == 0);
    CHECK(idr_engine_remove(e, S("c")) == IDR_OK);
    CHECK(idr_engine_drain_events(e, &events) == IDR_OK && idr_events_count(events) == 2);
    CHECK(idr_events_get(events, 0, &ev) == IDR_OK && ev.type == IDR_EVENT_REMOVED && ev.entity == a && ev.other == 0);
    CHECK(idr_events_get(events, 1, &ev) == IDR_OK && ev.type == IDR_EVENT_SPLIT && ev.entity == a && ev.part_count == 2
          && ev.parts[0] == a && ev.identifier == NULL);
    idr_events_free(events);
    CHECK(idr_engine_drain_events(e, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_drain_events(NULL, &events) == IDR_E_INVALID_ARGUMENT);

    /* why / how */
    CHECK(idr_engine_add(e, S("c"), both, 2, NULL) == IDR_OK);
    CHECK(idr_engine_why(e, S("a"), S("b"), &text) == IDR_OK);
    CHECK(contains(idr_text_data(text, &len), "\"joined\": true") && contains(idr_text_data(text, NULL), "\"via\": {\"kind\": \"phone\""));
    CHECK(len == strlen(idr_text_data(text, NULL)));
    idr_text_free(text);
    CHECK(idr_engine_add(e, S("j1"), &junk, 1, NULL) == IDR_OK && idr_engine_add(e, S("j2"), &junk, 1, NULL) == IDR_OK);
    CHECK(idr_engine_why(e, S("j1"), S("j2"), &text) == IDR_OK && contains(idr_text_data(text, NULL), "\"refused_by\": \"placeholder\""));
    idr_text_free(text);
    CHECK(idr_engine_why(e, S("a"), S("j1"), &text) == IDR_OK && contains(idr_text_data(text, NULL), "no shared evidence"));
    idr_text_free(text);
    CHECK(idr_engine_why(e, S("a"), S("nobody"), &text) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_why(e, NULL, 1, S("a"), &text) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_why(e, S("a"), S("b"), NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_how(e, a, &text) == IDR_OK);
    CHECK(contains(idr_text_data(text, NULL), "\"records\": [\"a\", \"b\", \"c\"]"));
    idr_text_free(text);
    CHECK(idr_engine_how(e, 42, &text) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_how(NULL, a, &text) == IDR_E_INVALID_ARGUMENT);
    CHECK(strcmp(idr_text_data(NULL, &len), "") == 0 && len == 0);
    idr_text_free(NULL);
    idr_engine_free(e);
    /* Without IDR_FLAG_EVENTS the queue stays empty. */
    e = new_engine();
    CHECK(idr_engine_add(e, S("a"), &email, 1, NULL) == IDR_OK);
    CHECK(idr_engine_drain_events(e, &events) == IDR_OK && idr_events_count(events) == 0);
    idr_events_free(events);
    idr_engine_free(e);
}

static void test_persistence(void) {
    char path[64], logpath[80];
    idr_engine *e = NULL, *again = NULL;
    uint64_t a = 0, x = 0;
    idr_identifier id = {IDR_KIND_EMAIL, S("a@x.com")};
    FILE *f;
    sprintf(path, "/tmp/idr-c-state-%d", (int)rand());
    sprintf(logpath, "%s.log", path);
    remove(path); remove(logpath);
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &e) == IDR_OK);
    CHECK(idr_engine_add(e, S("a"), &id, 1, &a) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), &id, 1, NULL) == IDR_OK);
    idr_engine_free(e);                               /* no save: the log has it all */
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_DISK, &e) == IDR_OK);
    CHECK(idr_engine_entity_of(e, S("b"), &x) == IDR_OK && x == a);
    CHECK(idr_engine_save(e) == IDR_OK);
    CHECK(idr_engine_remove(e, S("b")) == IDR_OK);
    idr_engine_free(e);
    CHECK(idr_engine_load(path, strlen(path), NULL, &again) == IDR_OK);   /* snapshot only: b still there */
    CHECK(idr_engine_entity_of(again, S("b"), &x) == IDR_OK && x == a);
    idr_engine_free(again);
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &e) == IDR_OK);  /* with the log: b gone */
    CHECK(idr_engine_entity_of(e, S("b"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_save_to(e, S("/nonexistent-dir/x")) == IDR_E_IO);
    idr_engine_free(e);
    /* Errors. */
    e = new_engine();
    CHECK(idr_engine_save(e) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_save_to(e, "a\0b", 3) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_save_to(NULL, path, strlen(path)) == IDR_E_INVALID_ARGUMENT);
    idr_engine_free(e);
    CHECK(idr_engine_save(NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_open(path, strlen(path), NULL, 7, &e) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_open(NULL, 3, NULL, 0, &e) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_open(path, strlen(path), NULL, 0, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_load(S("/nonexistent-file"), NULL, &e) == IDR_E_IO && e == NULL);
    f = fopen(path, "wb");
    fputs("IDRSNAP garbage that is not a snapshot", f);
    fclose(f);
    CHECK(idr_engine_load(path, strlen(path), NULL, &e) == IDR_E_CORRUPT);
    CHECK(contains(idr_engine_last_error(NULL), "checksum") || contains(idr_engine_last_error(NULL), "snapshot"));
    CHECK(idr_engine_open(path, strlen(path), NULL, 0, &e) == IDR_E_CORRUPT);
    remove(path); remove(logpath);
}

/* Whether the file at `path` holds `needle` anywhere. */
static int file_contains(const char *path, const char *needle) {
    static char buf[1 << 16];
    size_t n, k, m = strlen(needle);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (k = 0; k + m <= n; k++) if (memcmp(buf + k, needle, m) == 0) return 1;
    return 0;
}

/* A read mirror changes no answer: the same entities, lookups, removals, erasures and state files. */
static void test_mirror_reads(void) {
    char path[64], logpath[80];
    idr_engine *e = NULL, *again = NULL;
    uint64_t a = 0, x = 0;
    size_t n = 0;
    idr_identifier ann = {IDR_KIND_EMAIL, S("ann@x.com")};
    idr_identifier ann2 = {IDR_KIND_EMAIL, S("ANN@x.com")};
    idr_identifier phone = {IDR_KIND_PHONE, S("555 010 0001")};
    sprintf(path, "/tmp/idr-c-mirror-%d", (int)rand());
    sprintf(logpath, "%s.log", path);
    remove(path); remove(logpath);
    CHECK(idr_engine_mirror_reads(NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &e) == IDR_OK);
    CHECK(idr_engine_add(e, S("a"), &ann, 1, &a) == IDR_OK);
    CHECK(idr_engine_mirror_reads(e) == IDR_OK);
    CHECK(idr_engine_mirror_reads(e) == IDR_OK);      /* again: nothing changes */
    CHECK(idr_engine_add(e, S("b"), &ann2, 1, &x) == IDR_OK && x == a);
    CHECK(idr_engine_add(e, S("c"), &phone, 1, NULL) == IDR_OK);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("ann@X.com"), &x) == IDR_OK && x == a);
    CHECK(idr_engine_remove(e, S("a")) == IDR_OK);
    CHECK(idr_engine_entity_of(e, S("a"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_entity_of(e, S("b"), &x) == IDR_OK && x == a);
    CHECK(idr_engine_erase(e, IDR_KIND_PHONE, S("555 010 0001"), &n) == IDR_OK && n == 1);
    CHECK(idr_engine_lookup(e, IDR_KIND_PHONE, S("555 010 0001"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_add(e, S("d"), &ann, 1, NULL) == IDR_OK);
    idr_engine_free(e);
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &again) == IDR_OK);
    CHECK(idr_engine_entity_of(again, S("d"), &x) == IDR_OK && x == a);
    CHECK(idr_engine_entity_of(again, S("a"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_lookup(again, IDR_KIND_PHONE, S("555 010 0001"), &x) == IDR_E_NOT_FOUND);
    idr_engine_free(again);
    remove(path); remove(logpath);
}

/* A column batch into an engine with a read mirror takes one write per 1024 steps: 3000
 * records give the same entities as without a mirror, on both copies (reads after the call),
 * and an empty key past the first write stops the batch there with the records before it in. */
static void test_mirror_add_columns(void) {
    enum { N = 3000, BAD = 2500 };
    static char keys[N * 8], emails[N * 16];
    static uint64_t key_off[N + 1], email_off[N + 1], out_plain[N], out_mirror[N];
    const uint32_t kinds[1] = {IDR_KIND_EMAIL};
    const char *data[1];
    size_t data_len[1], processed = 0;
    const uint64_t *offsets[1];
    size_t kl = 0, el = 0;
    idr_engine *plain = new_engine(), *m = new_engine();
    int i, same = 1;
    for (i = 0; i < N; i++) {
        key_off[i] = kl;
        kl += (size_t)sprintf(keys + kl, "r%d", i % 2000);   /* upserts past 2000 */
        email_off[i] = el;
        el += (size_t)sprintf(emails + el, "c%d@x.com", (i * 7) % 1100);
    }
    key_off[N] = kl; email_off[N] = el;
    data[0] = emails; data_len[0] = el; offsets[0] = email_off;
    CHECK(idr_engine_add(m, S("first"), NULL, 0, NULL) == IDR_OK);
    CHECK(idr_engine_add(plain, S("first"), NULL, 0, NULL) == IDR_OK);
    CHECK(idr_engine_mirror_reads(m) == IDR_OK);
    CHECK(idr_engine_add_columns(plain, N, keys, kl, key_off, 1, kinds, data, data_len, offsets, out_plain, &processed) == IDR_OK && processed == N);
    CHECK(idr_engine_add_columns(m, N, keys, kl, key_off, 1, kinds, data, data_len, offsets, out_mirror, &processed) == IDR_OK && processed == N);
    for (i = 0; i < N; i++) same &= out_plain[i] == out_mirror[i];
    CHECK(same);
    for (i = 0; i < 1100; i += 37) {
        char email[32];
        uint64_t a = 0, b = 1;
        sprintf(email, "c%d@x.com", i);
        CHECK(idr_engine_lookup(plain, IDR_KIND_EMAIL, email, strlen(email), &a) == IDR_OK);
        CHECK(idr_engine_lookup(m, IDR_KIND_EMAIL, email, strlen(email), &b) == IDR_OK && a == b);
    }
    /* Record BAD gets an empty key: the BAD records before it are processed, none after. */
    {
        static uint64_t bad_off[N + 1];
        uint64_t x = 0;
        memcpy(bad_off, key_off, sizeof bad_off);
        bad_off[BAD + 1] = bad_off[BAD];        /* record BAD + 1's key is then "r500r501" */
        processed = 0;
        CHECK(idr_engine_add_columns(m, N, keys, kl, bad_off, 1, kinds, data, data_len, offsets, NULL, &processed) == IDR_E_INVALID_ARGUMENT);
        CHECK(processed == BAD);
        CHECK(contains(idr_engine_last_error(m), "record 2500"));
        CHECK(idr_engine_entity_of(m, S("r500r501"), &x) == IDR_E_NOT_FOUND);
        CHECK(idr_engine_entity_of(m, S("r499"), &x) == IDR_OK);
    }
    idr_engine_free(plain);
    idr_engine_free(m);
}

static void test_erase_and_hash_only(void) {
    static const uint8_t secret[] = "a secret of more than sixteen bytes";
    char path[64], logpath[80];
    idr_engine *e = NULL, *again = NULL;
    idr_identifier ids[2] = {{IDR_KIND_EMAIL, S("ann@example.org")}, {IDR_KIND_PHONE, S("555 010 0001")}};
    uint64_t a = 0, b = 0, x = 0;
    size_t n = 99;
    idr_options o;
    idr_stats st;
    idr_text *t = NULL;
    /* Erase: a and b share the email only. */
    e = new_engine();
    CHECK(idr_engine_add(e, S("a"), ids, 2, &a) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), ids, 1, &b) == IDR_OK && a == b);
    CHECK(idr_engine_erase(e, IDR_KIND_EMAIL, S("ANN@example.org"), &n) == IDR_OK && n == 2);
    CHECK(idr_engine_entity_of(e, S("b"), &x) == IDR_OK && x != a);
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("ann@example.org"), &x) == IDR_E_NOT_FOUND);
    CHECK(idr_engine_add(e, S("c"), ids, 1, NULL) == IDR_OK);            /* dropped: erased */
    st.version = IDR_STATS_VERSION;
    CHECK(idr_engine_stats(e, &st) == IDR_OK && st.erased_values == 1 && st.tombstones == 1 && st.records == 3);
    memset(&st, 0xAB, sizeof st);
    st.version = 1;                                                       /* a version-1 caller */
    CHECK(idr_engine_stats(e, &st) == IDR_OK && st.records == 3 && st.erased_values == 0xABABABABABABABABull);
    CHECK(idr_engine_erase(e, IDR_KIND_EMAIL, S("not an email"), &n) == IDR_OK && n == 0);
    CHECK(idr_engine_erase(e, 99, S("x"), NULL) == IDR_E_UNKNOWN_KIND);
    CHECK(idr_engine_erase(e, IDR_KIND_EMAIL, NULL, 3, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_erase(NULL, IDR_KIND_EMAIL, S("x"), NULL) == IDR_E_INVALID_ARGUMENT);
    idr_engine_free(e);
    /* Without tombstones the value links again. */
    idr_options_init(&o);
    o.flags |= IDR_FLAG_NO_ERASURE_TOMBSTONES;
    CHECK(idr_engine_create(&o, &e) == IDR_OK);
    CHECK(idr_engine_add(e, S("a"), ids, 1, NULL) == IDR_OK);
    CHECK(idr_engine_erase(e, IDR_KIND_EMAIL, S("ann@example.org"), NULL) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), ids, 1, &a) == IDR_OK && idr_engine_add(e, S("c"), ids, 1, &b) == IDR_OK && a == b);
    idr_engine_free(e);

    /* Hash-only: files hold no value; the secret is needed to open or load. */
    sprintf(path, "/tmp/idr-c-hash-%d", (int)rand());
    sprintf(logpath, "%s.log", path);
    remove(path); remove(logpath);
    idr_options_init(&o);
    o.hash_only_secret = secret;
    o.hash_only_secret_len = sizeof secret - 1;
    CHECK(idr_engine_open(path, strlen(path), &o, IDR_SYNC_PROCESS, &e) == IDR_OK);
    CHECK(idr_engine_add(e, S("a"), ids, 2, &a) == IDR_OK);
    CHECK(idr_engine_add(e, S("b"), ids, 1, NULL) == IDR_OK);
    CHECK(idr_engine_lookup(e, IDR_KIND_PHONE, S("+1 555 010 0001"), &x) == IDR_OK && x == a);
    CHECK(idr_engine_why(e, S("a"), S("b"), &t) == IDR_OK && contains(idr_text_data(t, NULL), "#")
          && !contains(idr_text_data(t, NULL), "ann@example.org"));
    idr_text_free(t);
    CHECK(!file_contains(logpath, "ann@example.org") && !file_contains(logpath, "5550100001"));
    CHECK(idr_engine_save(e) == IDR_OK);
    CHECK(!file_contains(path, "ann@example.org") && !file_contains(path, "5550100001"));
    idr_engine_free(e);
    CHECK(idr_engine_load(path, strlen(path), NULL, &again) == IDR_E_INVALID_ARGUMENT && again == NULL);
    CHECK(contains(idr_engine_last_error(NULL), "secret"));
    CHECK(idr_engine_open(path, strlen(path), NULL, IDR_SYNC_PROCESS, &again) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_load(path, strlen(path), &o, &again) == IDR_OK);
    CHECK(idr_engine_lookup(again, IDR_KIND_EMAIL, S("Ann@Example.org"), &x) == IDR_OK && x == a);
    idr_engine_free(again);
    o.hash_only_secret_len = 5;                                           /* too short */
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT && e == NULL);
    o.hash_only_secret = NULL;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    remove(path); remove(logpath);

    /* A version-1 options struct: only its own bytes are read. */
    {
        unsigned char v1[sizeof(idr_options)];
        idr_options_init(&o);
        o.version = 1;
        memset(v1, 0xFF, sizeof v1);
        memcpy(v1, &o, offsetof(idr_options, hash_only_secret));
        CHECK(idr_engine_create((const idr_options *)(const void *)v1, &e) == IDR_OK);
        idr_engine_free(e);
    }
}

static void test_bulk_resolver(void) {
    /* Three rows, two keys: "b" twice (one record, union of identifiers). */
    const char keys[] = "abb";
    const uint64_t key_off[] = {0, 1, 2, 3};
    const char emails[] = "ann@x.comANN@X.COM";
    const uint64_t email_off[] = {0, 9, 18, 18};
    const char loyalty[] = "LY-1";
    const uint64_t loyalty_off[] = {0, 0, 0, 4};
    const char *data[2];
    const uint64_t *offs[2];
    size_t lens[2];
    uint32_t kinds[2] = {IDR_KIND_EMAIL, IDR_KIND_LOYALTY_ID};
    uint64_t rows[3], ent[2], small[1];
    uint32_t crm = 0;
    idr_resolver *r = NULL;
    idr_engine *e = new_engine();
    char out[256];
    uint64_t out_off[4];
    uint8_t flags[3];
    const char col[] = "555 010 0001" "12" "555-555-5555";
    const uint64_t col_off[] = {0, 12, 14, 26};
    data[0] = emails; data[1] = loyalty;
    offs[0] = email_off; offs[1] = loyalty_off;
    lens[0] = sizeof emails - 1; lens[1] = sizeof loyalty - 1;
    CHECK(idr_resolver_create(NULL, &r) == IDR_OK);
    CHECK(idr_resolver_register_kind_ex(r, S("crm_id"), IDR_RULE_TOKEN, 3, &crm) == IDR_OK && crm == IDR_KIND_FIRST_CUSTOM);
    CHECK(idr_resolver_add_columns(r, 3, keys, 3, key_off, 2, kinds, data, lens, offs, rows) == IDR_OK);
    CHECK(rows[0] == 0 && rows[1] == 1 && rows[2] == 1);
    CHECK(idr_resolver_record_count(r) == 2);
    CHECK(idr_resolver_resolve(r, small, 1) == IDR_E_BUFFER_TOO_SMALL);
    CHECK(idr_resolver_resolve(r, ent, 2) == IDR_OK && ent[0] == ent[1]);
    CHECK(ent[0] == idr_entity_id_of_key("a", 1, 0));                  /* smallest key "a" */
    CHECK(idr_entity_id_of_key("a", 1, 1) != ent[0]);
    CHECK(idr_resolver_add_columns(r, 1, keys, 3, key_off, 1, kinds, data, lens, offs, NULL) == IDR_OK);
    CHECK(idr_resolver_add_columns(NULL, 1, keys, 3, key_off, 0, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_resolver_add_columns(r, 1, "", 0, key_off, 0, NULL, NULL, NULL, NULL, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_resolver_resolve(NULL, ent, 2) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_resolver_record_count(NULL) == 0);
    idr_resolver_free(r);
    idr_resolver_free(NULL);
    {
        idr_options o;
        idr_options_init(&o);
        o.hash_only_secret = (const uint8_t *)"a secret of more than sixteen bytes";
        o.hash_only_secret_len = 20;
        CHECK(idr_resolver_create(&o, &r) == IDR_E_INVALID_ARGUMENT && r == NULL);
    }
    /* Normalizing a column with the engine's configuration. */
    CHECK(idr_engine_normalize_column(e, IDR_KIND_PHONE, 3, col, sizeof col - 1, col_off, out, sizeof out, out_off, flags) == IDR_OK);
    CHECK(out_off[1] == 12 && memcmp(out, "+15550100001", 12) == 0 && flags[0] == 0);
    CHECK(flags[1] == IDR_VALUE_INVALID && out_off[2] == out_off[1]);
    CHECK(flags[2] == IDR_VALUE_PLACEHOLDER && memcmp(out + out_off[2], "+15555555555", 12) == 0);
    CHECK(idr_engine_normalize_column(e, IDR_KIND_PHONE, 3, col, sizeof col - 1, col_off, out, 30, out_off, flags) == IDR_E_BUFFER_TOO_SMALL);
    CHECK(idr_engine_normalize_column(e, 99, 3, col, sizeof col - 1, col_off, out, sizeof out, out_off, flags) == IDR_E_UNKNOWN_KIND);
    CHECK(idr_engine_normalize_column(e, IDR_KIND_PHONE, 3, col, 5, col_off, out, sizeof out, out_off, flags) == IDR_E_INVALID_ARGUMENT);
    CHECK(idr_engine_normalize_column(e, IDR_KIND_PHONE, 0, col, 0, col_off, out, sizeof out, out_off, flags) == IDR_OK
          && out_off[0] == 0);                                        /* an empty column */
    CHECK(idr_engine_normalize_column(NULL, IDR_KIND_PHONE, 0, col, 0, col_off, out, sizeof out, out_off, flags) == IDR_E_INVALID_ARGUMENT);
    idr_engine_free(e);
}

/* Attributes through the bulk resolver: two records per person, no shared identifier. */
static void test_fuzzy(void) {
    enum { P = 300, R = 2 * P };
    static const char *firsts[] = {"Ann", "Bob", "Carla", "Dmitri", "Eve", "Farid", "Gita", "Hugo"};
    static const char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "we", "zu"};
    static char first[R * 16], last[R * 16], dob[R * 16], keys[R * 16];
    static uint64_t first_off[R + 1], last_off[R + 1], dob_off[R + 1], key_off[R + 1], ent[R];
    const char *data[3];
    const uint64_t *offs[3];
    size_t lens[3];
    const uint32_t kinds[3] = {IDR_ATTR_FIRST_NAME, IDR_ATTR_LAST_NAME, IDR_ATTR_DOB};
    size_t nf = 0, nl = 0, nd = 0, nk = 0;
    int i, p, linked = 0, apart = 0;
    idr_resolver *r = NULL;
    idr_options o;
    idr_engine *e = NULL;
    idr_identifier id;
    for (i = 0; i < R; i++) {
        int y, m, d;
        p = i / 2;
        y = 1940 + p % 60; m = 1 + (p / 60) % 12; d = 1 + (p * 7) % 28;
        first_off[i] = nf; last_off[i] = nl; dob_off[i] = nd; key_off[i] = nk;
        nk += (size_t)sprintf(keys + nk, "r%d", i);
        if (i % 2 == 0) {
            nf += (size_t)sprintf(first + nf, "%s", firsts[p % 8]);
            nl += (size_t)sprintf(last + nl, "%s%s%sson", syllables[p % 10], syllables[p / 10 % 10], syllables[p / 100]);
            nd += (size_t)sprintf(dob + nd, "%04d-%02d-%02d", y, m, d);
        } else {                          /* the same person typed differently */
            nf += (size_t)sprintf(first + nf, "%s", p % 8 == 1 ? "robert" : firsts[p % 8]);
            nl += (size_t)sprintf(last + nl, "%c%s%sSON", syllables[p % 10][0] - 32, syllables[p % 10] + 1,
                                  syllables[p / 10 % 10]);  /* capitals, one syllable dropped */
            nd += (size_t)sprintf(dob + nd, "%02d/%02d/%04d", d, m, y);
        }
    }
    first_off[R] = nf; last_off[R] = nl; dob_off[R] = nd; key_off[R] = nk;
    data[0] = first; data[1] = last; data[2] = dob;
    offs[0] = first_off; offs[1] = last_off; offs[2] = dob_off;
    lens[0] = nf; lens[1] = nl; lens[2] = nd;

    CHECK(idr_resolver_create(NULL, &r) == IDR_OK);
    CHECK(idr_resolver_add_columns(r, R, keys, nk, key_off, 3, kinds, data, lens, offs, NULL) == IDR_OK);
    CHECK(idr_resolver_resolve(r, ent, R) == IDR_OK);
    for (p = 0; p < P; p++) {
        linked += ent[2 * p] == ent[2 * p + 1];
        apart += p == 0 || ent[2 * p] != ent[2 * p - 2];
    }
    if (linked != P || apart != P) fprintf(stderr, "fuzzy: linked %d apart %d of %d\n", linked, apart, P);
    CHECK(linked == P && apart == P);
    idr_resolver_free(r);

    idr_options_init(&o);
    CHECK(o.fuzzy_threshold == 0.99 && o.fuzzy_max_block_size == 200);
    o.flags = IDR_FLAG_NO_FUZZY;
    CHECK(idr_resolver_create(&o, &r) == IDR_OK);
    CHECK(idr_resolver_add_columns(r, R, keys, nk, key_off, 3, kinds, data, lens, offs, NULL) == IDR_OK);
    CHECK(idr_resolver_resolve(r, ent, R) == IDR_OK && ent[0] != ent[1]);
    idr_resolver_free(r);
    idr_options_init(&o);
    o.fuzzy_threshold = 1.0;
    CHECK(idr_resolver_create(&o, &r) == IDR_E_INVALID_ARGUMENT && r == NULL);
    o.fuzzy_threshold = 0.0 / 0.0;                                        /* NaN */
    CHECK(idr_resolver_create(&o, &r) == IDR_E_INVALID_ARGUMENT);
    idr_options_init(&o);
    o.fuzzy_max_block_size = 1;
    CHECK(idr_resolver_create(&o, &r) == IDR_E_INVALID_ARGUMENT);
    {   /* A version-2 options struct: the fuzzy fields take their defaults. */
        unsigned char v2[sizeof(idr_options)];
        idr_options_init(&o);
        o.version = 2;
        memset(v2, 0xFF, sizeof v2);
        memcpy(v2, &o, offsetof(idr_options, fuzzy_threshold));
        CHECK(idr_resolver_create((const idr_options *)(const void *)v2, &r) == IDR_OK);
        idr_resolver_free(r);
    }

    /* The online engine refuses attributes rather than silently ignoring them. */
    e = new_engine();
    id.kind = IDR_ATTR_FIRST_NAME; id.value = "Ann"; id.value_len = 3;
    CHECK(idr_engine_add(e, S("k"), &id, 1, NULL) == IDR_E_INVALID_ARGUMENT);
    CHECK(strstr(idr_engine_last_error(e), "attribute") != NULL);
    idr_engine_free(e);
}

/* Per-entity limits (options version 4): the engine and the bulk resolver refuse the same links. */
static void test_entity_limits(void) {
    idr_options o;
    idr_engine *e = NULL;
    idr_resolver *r = NULL;
    idr_identifier ids[2];
    uint64_t a = 0, b = 0, c = 0, found = 0, ent[3];
    idr_text *text = NULL;
    const char keys[] = "abc";
    const uint64_t key_off[] = {0, 1, 2, 3};
    const uint32_t kinds[] = {IDR_KIND_EMAIL, IDR_KIND_LOYALTY_ID};
    const char emails[] = "ann@x.comann@x.comann@x.com", cards[] = "L1L2";
    const char *data[] = {emails, cards};
    const size_t lens[] = {sizeof emails - 1, sizeof cards - 1};
    const uint64_t email_off[] = {0, 9, 18, 27}, card_off[] = {0, 2, 4, 4};
    const uint64_t *offs[] = {email_off, card_off};
    idr_options_init(&o);
    CHECK(o.entity_limit[IDR_KIND_LOYALTY_ID] == 0 && o.link_priority[0] == IDR_KIND_LOYALTY_ID);
    CHECK(o.link_priority[1] == IDR_KIND_EMAIL && o.link_priority[5] == 0);
    o.entity_limit[IDR_KIND_LOYALTY_ID] = 1;
    CHECK(idr_engine_create(&o, &e) == IDR_OK);
    ids[0].kind = IDR_KIND_EMAIL; ids[0].value = "ann@x.com"; ids[0].value_len = 9;
    ids[1].kind = IDR_KIND_LOYALTY_ID; ids[1].value = "L1"; ids[1].value_len = 2;
    CHECK(idr_engine_add(e, S("a"), ids, 2, &a) == IDR_OK);
    ids[1].value = "L2";
    CHECK(idr_engine_add(e, S("b"), ids, 2, &b) == IDR_OK && a != b);
    CHECK(idr_engine_add(e, S("c"), ids, 1, &c) == IDR_OK && c == a);    /* joins the email's first record */
    CHECK(idr_engine_lookup(e, IDR_KIND_EMAIL, S("ann@x.com"), &found) == IDR_OK && found == a);
    CHECK(idr_engine_why(e, S("a"), S("b"), &text) == IDR_OK);
    CHECK(contains(idr_text_data(text, NULL), "\"refused_by\": \"entity_limit\"")
          && contains(idr_text_data(text, NULL), "\"limited_kind\": \"loyalty_id\", \"limit\": 1"));
    idr_text_free(text);
    idr_engine_free(e);
    /* The bulk resolver with the same options: the same partition. */
    CHECK(idr_resolver_create(&o, &r) == IDR_OK);
    CHECK(idr_resolver_add_columns(r, 3, keys, 3, key_off, 2, kinds, data, lens, offs, NULL) == IDR_OK);
    CHECK(idr_resolver_resolve(r, ent, 3) == IDR_OK && ent[0] != ent[1] && ent[0] == ent[2]);
    idr_resolver_free(r);
    /* Bad limits and priorities are refused; an older options layout has no limits. */
    o.entity_limit[IDR_KIND_EMAIL] = 2000000000u;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT && e == NULL);
    idr_options_init(&o);
    o.link_priority[0] = 9;
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    o.link_priority[0] = IDR_KIND_EMAIL;                                  /* listed twice */
    CHECK(idr_engine_create(&o, &e) == IDR_E_INVALID_ARGUMENT);
    {
        unsigned char v3[sizeof(idr_options)];
        idr_options_init(&o);
        o.version = 3;
        memset(v3, 0xFF, sizeof v3);
        memcpy(v3, &o, offsetof(idr_options, entity_limit));
        CHECK(idr_engine_create((const idr_options *)(const void *)v3, &e) == IDR_OK);
        idr_engine_free(e);
    }
}

int main(void) {
    test_version_and_status();
    test_normalize();
    test_options_and_create();
    test_kinds();
    test_add_and_reads();
    test_add_columns();
    test_events_and_explanations();
    test_persistence();
    test_mirror_reads();
    test_mirror_add_columns();
    test_erase_and_hash_only();
    test_bulk_resolver();
    test_fuzzy();
    test_entity_limits();
    printf("c: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
