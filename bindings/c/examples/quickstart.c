/* quickstart: a web visit and a store purchase are one customer. */
#include <stdio.h>
#include <string.h>
#include "idr.h"

#define S(literal) literal, strlen(literal)

int main(void) {
    idr_engine *engine = NULL;
    idr_status st = idr_engine_create(NULL, &engine);
    if (st != IDR_OK) {
        fprintf(stderr, "create: %s: %s\n", idr_status_string(st), idr_engine_last_error(NULL));
        return 1;
    }
    idr_identifier web[] = {{IDR_KIND_EMAIL, S("Ann@Example.org")}, {IDR_KIND_DEVICE_ID, S("6F9619FF8B86D011B42D00C04FC964FF")}};
    idr_identifier till[] = {{IDR_KIND_EMAIL, S(" ann@example.org")}, {IDR_KIND_LOYALTY_ID, S("ly-0042")}};
    uint64_t a = 0, b = 0, found = 0;
    if (idr_engine_add(engine, S("web-1"), web, 2, &a) != IDR_OK ||
        idr_engine_add(engine, S("pos-7"), till, 2, &b) != IDR_OK) {
        fprintf(stderr, "add: %s\n", idr_engine_last_error(engine));
        idr_engine_free(engine);
        return 1;
    }
    printf("web-1 -> %llu\npos-7 -> %llu\n", (unsigned long long)a, (unsigned long long)b);
    if (idr_engine_lookup(engine, IDR_KIND_LOYALTY_ID, S("LY 0042"), &found) == IDR_OK) {
        printf("loyalty LY 0042 -> %llu\n", (unsigned long long)found);
    }
    idr_members *members = NULL;
    if (idr_engine_members(engine, a, &members) == IDR_OK) {
        size_t i;
        for (i = 0; i < idr_members_count(members); i++) {
            printf("member: %s\n", idr_members_key(members, i, NULL));
        }
        idr_members_free(members);
    }
    idr_engine_free(engine);
    return (a == b && a == found) ? 0 : 1;
}
