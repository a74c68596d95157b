/*
 * idr.h — the C interface of idr, embeddable customer identity resolution.
 *
 * This header is written by hand and is the single source of truth for the ABI of libidr.so:
 * the Swift implementation is checked against it at compile time (`@c @implementation`), and
 * the Python binding derives its declarations from it. It is plain C99 and also compiles as C++.
 *
 * OBJECTS
 *   idr_engine   an online identity engine: records are added (or replaced) and removed one at a
 *                time or in batches, and every answer (entity of a record, entity of an identifier,
 *                members of an entity) reflects all writes that returned before it.
 *   idr_members  a library-owned list of record keys (the result of idr_engine_members).
 *   idr_options  a caller-owned options struct; initialize it with idr_options_init.
 *
 * STRINGS
 *   Every string argument is UTF-8 given as (pointer, length); no NUL terminator is needed and a
 *   NUL byte is an ordinary byte. A NULL pointer is accepted only with length 0. Strings returned
 *   by the library are NUL-terminated as well as measured.
 *
 * OWNERSHIP
 *   Objects created by idr_*_create / returned through an `out` pointer are owned by the caller and
 *   released with the matching *_free function; every *_free accepts NULL. The library never keeps
 *   a pointer to caller memory after a call returns.
 *
 * THREADS
 *   Different engines are independent. On one engine, any number of threads may call the read
 *   functions (idr_engine_entity_of, idr_engine_lookup, idr_engine_members, idr_engine_resolve,
 *   idr_engine_stats) at the same time, including while one thread writes (idr_engine_add,
 *   idr_engine_add_columns, idr_engine_remove, idr_engine_register_kind). Writes are serialized
 *   by the engine; a read never sees a write half done. idr_engine_free must not race with any
 *   other call on that engine.
 *
 * ERRORS
 *   Functions return an idr_status: IDR_OK (0) or a negative error. On error, `out` parameters are
 *   left unchanged unless documented otherwise, and idr_engine_last_error returns a message naming
 *   the offending input. The message belongs to the calling thread: it stays valid until that
 *   thread's next call into the library. No input, however malformed, makes the library abort.
 */
#ifndef IDR_H
#define IDR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Version                                                                                      */
/* ------------------------------------------------------------------------------------------ */

#define IDR_VERSION_MAJOR 0
#define IDR_VERSION_MINOR 1
#define IDR_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH. */
#define IDR_VERSION_NUMBER (IDR_VERSION_MAJOR * 10000 + IDR_VERSION_MINOR * 100 + IDR_VERSION_PATCH)
#define IDR_VERSION_STRING "0.1.0"

/**
 * The version of the loaded library, as IDR_VERSION_NUMBER; compare it with the header's to
 * detect a mismatch at run time.
 *
 * Ownership: none.
 * Thread safety: any thread, any time.
 * Errors: none.
 */
uint32_t idr_version_number(void);

/**
 * The version of the loaded library as "MAJOR.MINOR.PATCH".
 *
 * Ownership: a static string; do not free.
 * Thread safety: any thread, any time.
 * Errors: none.
 */
const char *idr_version_string(void);

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Results of every fallible call. Values are pinned and never renumbered. */
typedef enum idr_status {
    IDR_OK = 0,
    /** An argument is NULL where it may not be, out of range, or inconsistent. */
    IDR_E_INVALID_ARGUMENT = -1,
    /** The record, identifier or entity is not known (or identifies no one). */
    IDR_E_NOT_FOUND = -2,
    /** A caller buffer is too small; the size needed is reported through the out length. */
    IDR_E_BUFFER_TOO_SMALL = -3,
    /** A record key, source or name is not valid UTF-8. */
    IDR_E_INVALID_UTF8 = -4,
    /** Reading or writing a file failed. */
    IDR_E_IO = -5,
    /** Input data is malformed or corrupted. */
    IDR_E_CORRUPT = -6,
    /** An allocation failed. */
    IDR_E_NO_MEMORY = -7,
    /** A documented limit (key length, identifiers per record, records, kinds) was exceeded. */
    IDR_E_LIMIT_EXCEEDED = -8,
    /** The identifier kind is neither built in nor registered on this engine. */
    IDR_E_UNKNOWN_KIND = -9,
    /** The value is not a valid identifier of its kind (idr_normalize). */
    IDR_E_INVALID_VALUE = -10,
    /** The options struct has a version this library does not know. */
    IDR_E_VERSION = -11
} idr_status;

/**
 * A short English name of a status, e.g. "invalid argument"; "unknown status" for other values.
 *
 * Ownership: a static string; do not free.
 * Thread safety: any thread, any time.
 * Errors: none.
 */
const char *idr_status_string(idr_status status);

/* ------------------------------------------------------------------------------------------ */
/* Identifier kinds and normalization (stateless)                                               */
/* ------------------------------------------------------------------------------------------ */

/** Built-in identifier kinds. Custom kinds are numbered from IDR_KIND_FIRST_CUSTOM upward. */
enum {
    IDR_KIND_EMAIL = 1,
    IDR_KIND_PHONE = 2,
    IDR_KIND_LOYALTY_ID = 3,
    IDR_KIND_DEVICE_ID = 4,
    IDR_KIND_POS_CARD = 5,
    IDR_KIND_FIRST_CUSTOM = 16
};

/**
 * Person attributes, passed like identifiers (an idr_identifier or a column with one of these
 * kinds) to the bulk resolver, which links records whose attributes match (fuzzy matching:
 * blocking, comparison, Fellegi-Sunter scoring; see the README, "Fuzzy matching"). Equal
 * attribute values link nothing by themselves. The online engine refuses them
 * (IDR_E_INVALID_ARGUMENT).
 */
enum {
    IDR_ATTR_FIRST_NAME = 6,
    IDR_ATTR_LAST_NAME = 7,
    /** Date of birth: YYYY-MM-DD, YYYYMMDD, or NN/NN/YYYY read day first (month first with
     *  IDR_FLAG_DATES_MONTH_FIRST). */
    IDR_ATTR_DOB = 8,
    IDR_ATTR_ZIP = 9,
    IDR_ATTR_ADDRESS = 10,
    IDR_ATTR_CITY = 11
};

/** Normalization rules for custom kinds (README, "Normalization"). */
enum {
    IDR_RULE_EMAIL = 1,
    IDR_RULE_PHONE = 2,
    IDR_RULE_DEVICE_ID = 3,
    /** Uppercase, spaces and hyphens dropped: as loyalty IDs and card tokens. */
    IDR_RULE_TOKEN = 4,
    /** Lowercase only. */
    IDR_RULE_LOWERCASE = 5,
    /** Trimmed, otherwise byte-exact. */
    IDR_RULE_EXACT = 6
};

/** One identifier of a record: its kind and its raw value (UTF-8, not NUL-terminated). */
typedef struct idr_identifier {
    uint32_t kind;
    const char *value;
    size_t value_len;
} idr_identifier;

/**
 * Normalizes `value` as a built-in `kind` with the default options (country code 1, no email
 * provider rules), writing the normalized bytes to `out` followed by a NUL.
 *
 * `*out_len` receives the normalized length (without the NUL). If `out_capacity` is smaller than
 * that length + 1, nothing is written to `out`, `*out_len` receives the length needed (without the
 * NUL) and IDR_E_BUFFER_TOO_SMALL is returned. `value_len + 41` bytes always suffice.
 *
 * Ownership: `out` is the caller's.
 * Thread safety: any thread, any time.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `out_len`, NULL `value` with a length, NULL `out` with a
 * capacity); IDR_E_UNKNOWN_KIND (not a built-in kind); IDR_E_INVALID_VALUE (the value is invalid
 * for its kind; idr_engine_last_error(NULL) names the reason); IDR_E_BUFFER_TOO_SMALL.
 */
idr_status idr_normalize(uint32_t kind, const char *value, size_t value_len,
                         char *out, size_t out_capacity, size_t *out_len);

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** Options layout version. Versions 1 to 3 (each without the later fields) are still accepted. */
#define IDR_OPTIONS_VERSION 4

/** Bits of idr_options.flags. */
enum {
    /** Drop `+tag` from email local parts. */
    IDR_FLAG_EMAIL_DROP_PLUS_TAG = 1u << 0,
    /** Drop dots in Gmail local parts; googlemail.com is gmail.com. */
    IDR_FLAG_EMAIL_GMAIL_DOTS = 1u << 1,
    /** Do not use the built-in placeholder lists and shapes. */
    IDR_FLAG_NO_BUILTIN_PLACEHOLDERS = 1u << 2,
    /** Turn the generic-value guard off. */
    IDR_FLAG_NO_GENERIC_GUARD = 1u << 3,
    /** Collect change events for idr_engine_drain_events (experimental section). */
    IDR_FLAG_EVENTS = 1u << 4,
    /** idr_engine_erase keeps no tombstone: a later add carrying the value links through it. */
    IDR_FLAG_NO_ERASURE_TOMBSTONES = 1u << 5,
    /** Bulk resolver: do not link records by their attributes. */
    IDR_FLAG_NO_FUZZY = 1u << 6,
    /** Bulk resolver: read NN/NN/YYYY dates of birth month first (US). */
    IDR_FLAG_DATES_MONTH_FIRST = 1u << 7,
    /** Bulk resolver: do not map first-name nicknames (bob -> robert) before comparing. */
    IDR_FLAG_NO_NICKNAMES = 1u << 8
};

/** idr_options.phone_trunk_prefix: automatic (1 on 11-digit numbers in country 1, else 0). */
#define IDR_TRUNK_AUTO (-1)
/** idr_options.phone_trunk_prefix: no national trunk prefix. */
#define IDR_TRUNK_NONE (-2)

/**
 * Engine options. Always start from idr_options_init; fields may only be added at the end, and
 * `version` says which fields the caller knows.
 */
typedef struct idr_options {
    /** IDR_OPTIONS_VERSION. */
    uint32_t version;
    /** IDR_FLAG_* bits. Default 0. */
    uint32_t flags;
    /** Country calling code for national phone numbers, 1..999. Default 1. */
    uint32_t default_country_code;
    /** IDR_TRUNK_AUTO, IDR_TRUNK_NONE, or a digit 0..9. Default IDR_TRUNK_AUTO. */
    int32_t phone_trunk_prefix;
    /**
     * Generic-value thresholds by built-in kind (index = IDR_KIND_*; index 0 is unused).
     * 0 turns the guard off for that kind. Defaults: email 10, phone 1, loyalty ID 2, device ID 4,
     * POS card 4.
     */
    uint32_t generic_threshold[8];
    /** Threshold of custom kinds registered without one. Default 10. */
    uint32_t custom_generic_threshold;
    /** Bit (1 << kind) set for each built-in kind whose values tell customers apart. Default
     *  email, phone and loyalty ID. */
    uint32_t distinguishing_kinds;
    /** Longest record key, bytes (1..65536). Default 1024. */
    uint32_t max_record_key_length;
    /** Longest identifier value after trimming, bytes (1..1048576); longer values are invalid.
     *  Default 1024. */
    uint32_t max_value_length;
    /** Most identifiers in one record (1..65536). Default 256. */
    uint32_t max_identifiers_per_record;
    /** Most custom kinds (0..100000). Default 1000. */
    uint32_t max_custom_kinds;
    /** Most live records (1..4000000000). Default 1000000000. */
    uint64_t max_records;
    /* Version 2 fields. */
    /**
     * Hash-only mode: when not NULL, the engine keeps no identifier value in memory beyond a
     * call or on disk, only a 128-bit fingerprint of each normalized value keyed with these
     * bytes (16..4096 of them, read during the call only). Lookups work; why/how, events and
     * members show fingerprints ("#" and 32 hex digits). A state saved in this mode opens and
     * loads only with the same secret. Default NULL.
     */
    const uint8_t *hash_only_secret;
    /** Bytes at `hash_only_secret`. */
    size_t hash_only_secret_len;
    /* Version 3 fields: fuzzy matching of attributes (bulk resolver; the engine ignores them). */
    /** Match probability, strictly between 0 and 1, a pair of records needs to be linked by
     *  its attributes. Default 0.99. */
    double fuzzy_threshold;
    /** Blocks with more records than this are skipped and counted (2..100000). Default 200. */
    uint32_t fuzzy_max_block_size;
    /* Version 4 fields: per-entity limits (engine and bulk resolver; README, "Per-entity limits"). */
    /**
     * Per-entity limit by built-in kind (index = IDR_KIND_*; index 0 is unused): at most this
     * many distinct values of the kind in one entity (1..1000000000), 0 for no limit. A link that
     * would pass a limit is refused. Default 0 (none) for every kind.
     */
    uint32_t entity_limit[8];
    /**
     * The order in which kinds link when any limit is set, earlier kinds first: IDR_KIND_*
     * values (built-in kinds only), ended by 0 or the end of the array; kinds not listed link
     * after, by number. Default loyalty ID, email, phone, POS card, device ID.
     */
    uint32_t link_priority[8];
} idr_options;

/**
 * Fills `opts` with the defaults and sets `opts->version` to IDR_OPTIONS_VERSION.
 *
 * It writes this header's whole layout: a program built against an older header (a smaller
 * struct) must fill its options itself instead of calling it; every function that reads options
 * accepts versions 1 to 3 (their missing fields take the defaults).
 *
 * Ownership: `opts` is the caller's.
 * Thread safety: any thread, any time.
 * Errors: none (NULL is ignored).
 */
void idr_options_init(idr_options *opts);

/* ------------------------------------------------------------------------------------------ */
/* Engine                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** An online identity engine (opaque). */
typedef struct idr_engine idr_engine;

/**
 * Creates an engine with `opts` (NULL for the defaults).
 *
 * Ownership: `*out` is the caller's; release it with idr_engine_free.
 * Thread safety: any thread.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `out`, a field out of its range); IDR_E_VERSION
 * (`opts->version` is not IDR_OPTIONS_VERSION). `*out` is set to NULL on error.
 */
idr_status idr_engine_create(const idr_options *opts, idr_engine **out);

/**
 * Releases an engine and everything it holds. NULL is a no-op.
 *
 * Ownership: `engine` is invalid afterwards.
 * Thread safety: no other call on this engine may run at the same time.
 * Errors: none.
 */
void idr_engine_free(idr_engine *engine);

/**
 * Registers a custom identifier kind named `name` with the `exact` rule and the default custom
 * threshold, or returns the kind already registered under that name.
 *
 * Ownership: `name` is only read during the call.
 * Thread safety: a write (serialized with other writes; concurrent reads are fine).
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out_kind`; a name that is empty, longer than
 * 64 bytes, not made of a-z 0-9 _, reserved, or registered with other settings);
 * IDR_E_LIMIT_EXCEEDED (max_custom_kinds).
 */
idr_status idr_engine_register_kind(idr_engine *engine, const char *name, size_t name_len, uint32_t *out_kind);

/**
 * idr_engine_register_kind with a rule (IDR_RULE_*) and a generic threshold (UINT32_MAX for the
 * engine's custom default, 0 to turn the guard off for this kind).
 *
 * Ownership: `name` is only read during the call.
 * Thread safety: a write.
 * Errors: as idr_engine_register_kind; IDR_E_INVALID_ARGUMENT for an unknown rule.
 */
idr_status idr_engine_register_kind_ex(idr_engine *engine, const char *name, size_t name_len,
                                       uint32_t rule, uint32_t generic_threshold, uint32_t *out_kind);

/**
 * The kind registered under `name` (built-in names included), e.g. on an engine loaded from a
 * snapshot.
 *
 * Ownership: `name` is only read during the call.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument); IDR_E_NOT_FOUND.
 */
idr_status idr_engine_find_kind(idr_engine *engine, const char *name, size_t name_len, uint32_t *out_kind);

/**
 * Adds a record, or replaces the identifiers of the record with this key (upsert), and returns
 * its entity ID through `out_entity` (may be NULL). Invalid identifier values are dropped and
 * counted, never an error; a value of length 0 is skipped. Re-adding identical content changes
 * nothing.
 *
 * Ownership: every pointer is only read during the call.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine`; empty key; NULL key; NULL `ids` with a count;
 * an identifier with a NULL value and a length); IDR_E_INVALID_UTF8 (key);
 * IDR_E_UNKNOWN_KIND; IDR_E_LIMIT_EXCEEDED. On error nothing changed.
 */
idr_status idr_engine_add(idr_engine *engine, const char *record_key, size_t record_key_len,
                          const idr_identifier *ids, size_t count, uint64_t *out_entity);

/**
 * Adds `record_count` records in one call, given as columns (what dataframes hold).
 *
 * Record i's key is `keys[key_offsets[i] .. key_offsets[i + 1])`. Column c has kind
 * `column_kinds[c]`; record i's value in it is
 * `column_data[c][column_offsets[c][i] .. column_offsets[c][i + 1])`, and an empty range means
 * the record has no value there. Each offsets array has `record_count + 1` non-decreasing entries
 * within its buffer. `out_entities` (may be NULL) receives each record's entity ID as it stood
 * right after that record was added.
 *
 * Records are added in order, each as by idr_engine_add: the same entity IDs, events and log
 * entries. It is faster than one idr_engine_add per record because each record is normalized
 * and hashed ahead of its add, while the memory its add will read is fetched. A batch of 1024
 * records or more is normalized and hashed on a second thread, started and joined within the
 * call, while the calling thread adds. On an error, the records before the failing one are
 * added, the failing one and the ones after are not, `*out_processed` (may be NULL) tells how
 * many were added and the last error names the record.
 *
 * Ownership: every pointer is only read during the call (by the second thread too).
 * Thread safety: a write (readers may run between records; with a read mirror,
 * idr_engine_mirror_reads, the batch is written 1024 records at a time, and readers see each
 * part once it is written). Other writes on the engine wait for the whole batch.
 * Errors: as idr_engine_add; IDR_E_INVALID_ARGUMENT for NULL arrays, offsets that decrease or
 * run past their buffer, or more than 4096 columns.
 */
idr_status idr_engine_add_columns(idr_engine *engine, size_t record_count,
                                  const char *keys, size_t keys_len, const uint64_t *key_offsets,
                                  size_t column_count, const uint32_t *column_kinds,
                                  const char *const *column_data, const size_t *column_data_len,
                                  const uint64_t *const *column_offsets,
                                  uint64_t *out_entities, size_t *out_processed);

/**
 * Removes the record with this key; its entity splits if the record held it together.
 *
 * Ownership: `record_key` is only read during the call.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine`, NULL key with a length); IDR_E_NOT_FOUND.
 */
idr_status idr_engine_remove(idr_engine *engine, const char *record_key, size_t record_key_len);

/**
 * Erases an identifier value (GDPR): removes it from every record that carries it, re-splits what
 * it held together, and forgets its bytes. Unless IDR_FLAG_NO_ERASURE_TOMBSTONES, the engine keeps
 * its fingerprint and later adds drop the value instead of linking through it. An engine opened
 * from a path saves a snapshot before returning, so neither file holds the value any more. An
 * invalid value is never held: erasing one changes nothing.
 *
 * Ownership: `value` is only read during the call; `out_records` (may be NULL) is the caller's
 * and receives the number of records that carried the value.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine`, NULL value with a length); IDR_E_UNKNOWN_KIND;
 * IDR_E_IO (the final save failed: the engine has erased the value, the files still hold it until
 * idr_engine_save succeeds).
 */
idr_status idr_engine_erase(idr_engine *engine, uint32_t kind, const char *value, size_t value_len,
                            size_t *out_records);

/* Persistence. A snapshot is one versioned file with checksums, written atomically (temporary
 * file, fsync, rename; mode 0600). An engine opened from a path also keeps an append-only log
 * next to it (PATH.log) of every write since the last snapshot, appended before the write
 * returns: a process killed at any moment loses nothing that was acknowledged. */

/** idr_engine_open `sync`: each write reaches the OS before returning (survives kill -9). */
#define IDR_SYNC_PROCESS 0
/** idr_engine_open `sync`: each write is also fsynced before returning (survives power loss). */
#define IDR_SYNC_DISK 1

/**
 * Opens the engine state at `path`: loads the snapshot there if any, replays PATH.log, and logs
 * every later write. A new state uses `opts` (NULL: defaults); an existing one keeps the
 * configuration it was saved with, and takes only IDR_FLAG_EVENTS and the hash-only secret
 * (needed for a hash-only state, refused for any other) from `opts`. A torn last log entry (a
 * write that never returned) is dropped.
 *
 * Ownership: `*out` is the caller's; release it with idr_engine_free.
 * Thread safety: any thread; do not open the same path twice at once.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument, a path with a NUL byte, bad `sync`, bad options);
 * IDR_E_VERSION; IDR_E_IO; IDR_E_CORRUPT (a truncated, corrupted or foreign snapshot or log).
 */
idr_status idr_engine_open(const char *path, size_t path_len, const idr_options *opts, uint32_t sync,
                           idr_engine **out);

/**
 * Writes a snapshot to the engine's idr_engine_open path and starts a new, empty log.
 *
 * Ownership: none.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL engine, or an engine not opened from a path); IDR_E_IO.
 */
idr_status idr_engine_save(idr_engine *engine);

/**
 * Gives the engine's readers a mirror from now on: a second copy of the engine that they read
 * while a write changes the first, so a lookup (or any other read) never waits for a write. Each
 * write is then done on the engine, readers are moved to it, and the mirror applies the write
 * from the engine's change feed. Costs: twice the engine's memory, and each write done twice.
 * The mirror is built from an in-memory snapshot (as long as a save takes; reads go on, other
 * writes wait). Calling it again does nothing. Results, events, log and snapshots are unchanged.
 * A batch (idr_engine_add_columns) is then written in parts of 1024 records, since readers no
 * longer wait for a write and the mirror applies a part faster than its records one by one.
 *
 * Ownership: none.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL engine); what loading the snapshot can return (nothing
 * short of a bug); the engine is then shared as before.
 */
idr_status idr_engine_mirror_reads(idr_engine *engine);

/**
 * Writes a snapshot of the engine to `path` (atomically, mode 0600), without a log.
 *
 * Ownership: `path` is only read during the call.
 * Thread safety: a write.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument, a path with a NUL byte); IDR_E_IO.
 */
idr_status idr_engine_save_to(idr_engine *engine, const char *path, size_t path_len);

/**
 * An engine from a snapshot file (no log is read or written). Only IDR_FLAG_EVENTS and the
 * hash-only secret (needed for a hash-only state, refused for any other) are taken from `opts`
 * (may be NULL).
 *
 * Ownership: `*out` is the caller's; release it with idr_engine_free.
 * Thread safety: any thread.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument, a path with a NUL byte); IDR_E_IO;
 * IDR_E_CORRUPT (truncated, corrupted or foreign file).
 */
idr_status idr_engine_load(const char *path, size_t path_len, const idr_options *opts, idr_engine **out);

/**
 * The current entity ID of the record with this key.
 *
 * Ownership: `record_key` is only read during the call.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out_entity`, NULL key with a length);
 * IDR_E_NOT_FOUND.
 */
idr_status idr_engine_entity_of(idr_engine *engine, const char *record_key, size_t record_key_len,
                                uint64_t *out_entity);

/**
 * The entity holding an identifier. The value is normalized by its kind's rules first.
 *
 * Ownership: `value` is only read during the call.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out_entity`, NULL value with a length);
 * IDR_E_UNKNOWN_KIND; IDR_E_NOT_FOUND when the value is invalid, unknown, a placeholder or generic.
 */
idr_status idr_engine_lookup(idr_engine *engine, uint32_t kind, const char *value, size_t value_len,
                             uint64_t *out_entity);

/**
 * The current ID of an entity ID issued earlier: itself while live, the surviving ID after a
 * merge.
 *
 * Ownership: none.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out_entity`); IDR_E_NOT_FOUND (never issued,
 * or every record of it was removed).
 */
idr_status idr_engine_resolve(idr_engine *engine, uint64_t entity, uint64_t *out_entity);

/** A list of record keys owned by the library (opaque). */
typedef struct idr_members idr_members;

/**
 * The record keys of an entity (after idr_engine_resolve), sorted bytewise.
 *
 * Ownership: `*out` is the caller's; release it with idr_members_free.
 * Thread safety: a read; the list is a copy, unaffected by later writes.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out`); IDR_E_NOT_FOUND (unknown entity).
 */
idr_status idr_engine_members(idr_engine *engine, uint64_t entity, idr_members **out);

/**
 * Number of keys in a list (0 for NULL).
 *
 * Ownership: none.
 * Thread safety: any thread; a list is immutable.
 * Errors: none.
 */
size_t idr_members_count(const idr_members *members);

/**
 * Key `index` of a list, NUL-terminated, its length through `out_len` (may be NULL); NULL when
 * `members` is NULL or `index` is out of range.
 *
 * Ownership: the string belongs to the list and lives until idr_members_free.
 * Thread safety: any thread; a list is immutable.
 * Errors: none.
 */
const char *idr_members_key(const idr_members *members, size_t index, size_t *out_len);

/**
 * Releases a list. NULL is a no-op.
 *
 * Ownership: `members` and its strings are invalid afterwards.
 * Thread safety: not while another thread reads the same list.
 * Errors: none.
 */
void idr_members_free(idr_members *members);

/** Statistics layout version. Version 1 (without the erasure fields) is still accepted. */
#define IDR_STATS_VERSION 2

/** Counters of an engine; fields may only be added at the end. */
typedef struct idr_stats {
    /** Set by the caller to IDR_STATS_VERSION. */
    uint32_t version;
    uint32_t reserved;
    /** Live records. */
    uint64_t records;
    /** Live entities. */
    uint64_t entities;
    /** Distinct normalized values held by live records. */
    uint64_t values;
    /** Values that are currently generic. */
    uint64_t generic_values;
    /** Distinct placeholder values held by live records. */
    uint64_t placeholder_values;
    /** Identifier values dropped as invalid by adds so far. */
    uint64_t invalid_values;
    /** Records in the largest entity (computed on demand: O(records)). */
    uint64_t largest_entity;
    /* Version 2 fields. */
    /** Identifier values dropped by adds because they were erased. */
    uint64_t erased_values;
    /** Erasure tombstones held. */
    uint64_t tombstones;
} idr_stats;

/**
 * Fills `*out` (whose `version` the caller set to IDR_STATS_VERSION).
 *
 * Ownership: `out` is the caller's.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument); IDR_E_VERSION (unknown `out->version`).
 */
idr_status idr_engine_stats(idr_engine *engine, idr_stats *out);

/**
 * The message of the calling thread's last failed call on `engine` (or on a stateless function
 * when `engine` is NULL), or "" if that call succeeded or was on another engine.
 *
 * Ownership: library-owned, NUL-terminated; valid until the calling thread's next call into the
 * library.
 * Thread safety: any thread; each thread sees its own message.
 * Errors: none.
 */
const char *idr_engine_last_error(const idr_engine *engine);

/* ------------------------------------------------------------------------------------------ */
/* Bulk resolver and building blocks for distributed resolution                                 */
/* ------------------------------------------------------------------------------------------ */

/**
 * A bulk resolver (opaque): collect records, then resolve them all at once. Its entity IDs depend
 * only on the set of records — the XXH3-64 of each entity's smallest record key (README, "Keys,
 * linking and entity IDs") — so the same records in any order give the same IDs: what the CLI's
 * `resolve` and the Spark integration compute. Unlike an engine it keeps no history; with the
 * same options both give the same partition, per-entity limits included. Not thread-safe: one thread at a time. Error messages of its calls are
 * read with idr_engine_last_error(NULL).
 */
typedef struct idr_resolver idr_resolver;

/**
 * Creates a bulk resolver with `opts` (NULL for the defaults; hash-only mode is refused).
 *
 * Ownership: `*out` is the caller's; release it with idr_resolver_free.
 * Thread safety: any thread.
 * Errors: IDR_E_INVALID_ARGUMENT; IDR_E_VERSION. `*out` is set to NULL on error.
 */
idr_status idr_resolver_create(const idr_options *opts, idr_resolver **out);

/**
 * Releases a resolver. NULL is a no-op.
 *
 * Ownership: `resolver` is invalid afterwards.
 * Thread safety: not while another call uses it.
 * Errors: none.
 */
void idr_resolver_free(idr_resolver *resolver);

/**
 * Registers a custom kind, as idr_engine_register_kind_ex.
 *
 * Ownership: `name` is only read during the call.
 * Thread safety: one thread at a time.
 * Errors: as idr_engine_register_kind_ex.
 */
idr_status idr_resolver_register_kind_ex(idr_resolver *resolver, const char *name, size_t name_len,
                                         uint32_t rule, uint32_t generic_threshold, uint32_t *out_kind);

/**
 * Adds `record_count` rows given as columns, laid out as for idr_engine_add_columns. Rows
 * repeating a record key are one record with the union of their identifiers. `out_records` (may
 * be NULL) receives each row's record index (records are numbered in order of first appearance).
 *
 * Ownership: every pointer is only read during the call.
 * Thread safety: one thread at a time.
 * Errors: as idr_engine_add_columns; on an error the rows before the failing one are added.
 */
idr_status idr_resolver_add_columns(idr_resolver *resolver, size_t record_count,
                                    const char *keys, size_t keys_len, const uint64_t *key_offsets,
                                    size_t column_count, const uint32_t *column_kinds,
                                    const char *const *column_data, const size_t *column_data_len,
                                    const uint64_t *const *column_offsets, uint64_t *out_records);

/**
 * Number of distinct records added so far.
 *
 * Ownership: none.
 * Thread safety: one thread at a time.
 * Errors: none (0 for NULL).
 */
size_t idr_resolver_record_count(const idr_resolver *resolver);

/**
 * Resolves every record added so far: `out_entities[i]` receives the entity ID of record index
 * `i`. May be called again after more adds.
 *
 * Ownership: `out_entities` is the caller's, `capacity` entries.
 * Thread safety: one thread at a time.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument); IDR_E_BUFFER_TOO_SMALL (`capacity` is less
 * than idr_resolver_record_count).
 */
idr_status idr_resolver_resolve(idr_resolver *resolver, uint64_t *out_entities, size_t capacity);

/** Bits of idr_engine_normalize_column's `out_flags`. */
enum {
    /** The value is invalid or empty (its output range is empty). */
    IDR_VALUE_INVALID = 1u << 0,
    /** The normalized value is a placeholder under the engine's configuration. */
    IDR_VALUE_PLACEHOLDER = 1u << 1
};

/** Extra output bytes idr_engine_normalize_column may need per value. */
#define IDR_NORMALIZE_SLACK 40

/**
 * Normalizes a column of values of `kind` with the engine's configuration (custom kinds and
 * placeholder rules included) without adding anything: value i is
 * `data[offsets[i] .. offsets[i + 1])`; its normalized bytes are written to
 * `out[out_offsets[i] .. out_offsets[i + 1])` and `out_flags[i]` gets IDR_VALUE_* bits. In
 * hash-only mode the normalized values are still returned (the engine keeps none of them).
 *
 * Ownership: the inputs are only read; `out` (`out_capacity` bytes), `out_offsets`
 * (`count + 1`) and `out_flags` (`count`) are the caller's.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL arrays, offsets that decrease or run past `data_len`);
 * IDR_E_UNKNOWN_KIND; IDR_E_BUFFER_TOO_SMALL (`out_capacity` below
 * `data_len + IDR_NORMALIZE_SLACK * count`).
 */
idr_status idr_engine_normalize_column(idr_engine *engine, uint32_t kind, size_t count,
                                       const char *data, size_t data_len, const uint64_t *offsets,
                                       char *out, size_t out_capacity, uint64_t *out_offsets,
                                       uint8_t *out_flags);

/**
 * The bulk resolver's entity ID for an entity whose smallest record key (bytewise) is `key`:
 * XXH3-64 of the key with seed `attempt` (never 0: a hash of 0 becomes 1). Attempt 0 is the ID;
 * entities whose IDs collide keep attempt 0 for the smallest key and take the next free ID with
 * attempts 1, 2, … in key order (README, "Keys, linking and entity IDs").
 *
 * Ownership: `key` is only read during the call.
 * Thread safety: any thread.
 * Errors: none (NULL with a length hashes nothing: 0 is returned).
 */
uint64_t idr_entity_id_of_key(const char *key, size_t key_len, uint64_t attempt);

/* ------------------------------------------------------------------------------------------ */
/* Experimental (may change between minor versions)                                             */
/* ------------------------------------------------------------------------------------------ */

/* Change events. An engine created with IDR_FLAG_EVENTS records, after each write, the net
 * changes it made to entities; idr_engine_drain_events hands them over, oldest first. */

/** What happened (idr_event.type). */
typedef enum idr_event_type {
    /** `record_key` started a new entity `entity`. */
    IDR_EVENT_CREATED = 1,
    /** Entity `other` joined `entity` (which keeps its ID) through `identifier`. */
    IDR_EVENT_MERGED = 2,
    /** Entity `entity` fell apart into `parts` (the part keeping `entity` first); `identifier`
     *  is the one whose loss cut it, or NULL when removing `record_key` did. */
    IDR_EVENT_SPLIT = 3,
    /** `record_key` was removed from `entity`; `other` is 1 if that was its last record. */
    IDR_EVENT_REMOVED = 4
} idr_event_type;

/** One change event; its pointers belong to the idr_events list it came from. */
typedef struct idr_event {
    uint32_t type;
    /** The kind of `identifier`, 0 when there is none. */
    uint32_t identifier_kind;
    uint64_t entity;
    uint64_t other;
    const char *record_key;
    size_t record_key_len;
    /** The normalized identifier value (NUL-terminated), or NULL. */
    const char *identifier;
    size_t identifier_len;
    /** IDR_EVENT_SPLIT: the parts' IDs; NULL otherwise. */
    const uint64_t *parts;
    size_t part_count;
} idr_event;

/** A list of events owned by the library (opaque). */
typedef struct idr_events idr_events;

/**
 * Takes the events recorded so far (an empty list when the engine was created without
 * IDR_FLAG_EVENTS).
 *
 * Ownership: `*out` is the caller's; release it with idr_events_free.
 * Thread safety: a write (it empties the queue).
 * Errors: IDR_E_INVALID_ARGUMENT (NULL `engine` or `out`).
 */
idr_status idr_engine_drain_events(idr_engine *engine, idr_events **out);

/**
 * Number of events in a list (0 for NULL).
 *
 * Ownership: none.
 * Thread safety: any thread; a list is immutable.
 * Errors: none.
 */
size_t idr_events_count(const idr_events *events);

/**
 * Copies event `index` into `*out`; its strings and parts live as long as the list.
 *
 * Ownership: the pointers in `*out` belong to `events`.
 * Thread safety: any thread; a list is immutable.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument, `index` out of range).
 */
idr_status idr_events_get(const idr_events *events, size_t index, idr_event *out);

/**
 * Releases a list. NULL is a no-op.
 *
 * Ownership: `events` and every pointer taken from it are invalid afterwards.
 * Thread safety: not while another thread reads the same list.
 * Errors: none.
 */
void idr_events_free(idr_events *events);

/* Explanations, as JSON text (UTF-8). */

/** A text owned by the library (opaque). */
typedef struct idr_text idr_text;

/**
 * Why two records are, or are not, one customer, as a JSON object:
 * {"joined": true, "path": [{"record": "a"}, {"record": "b", "via": {"kind": "email", "value": "…"}}, …]}
 * or {"joined": false, "refused_by": "placeholder"|"generic", "identifier": {…}, "path": […]}
 * or, when a per-entity limit refused a link on the chain, {"joined": false, "refused_by":
 * "entity_limit", "limited_kind": "loyalty_id", "limit": 1, "identifier": {…}, "path": […]}
 * or {"joined": false, "reason": "no shared evidence"}.
 *
 * Ownership: `*out` is the caller's; release it with idr_text_free.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument, NULL key with a length); IDR_E_NOT_FOUND (either
 * record is not in the engine).
 */
idr_status idr_engine_why(idr_engine *engine, const char *record_a, size_t record_a_len,
                          const char *record_b, size_t record_b_len, idr_text **out);

/**
 * How an entity holds together, as a JSON object:
 * {"entity": 123, "records": ["a", "b"], "links": [{"kind": "email", "value": "…", "records": ["a", "b"]}]}
 *
 * Ownership: `*out` is the caller's; release it with idr_text_free.
 * Thread safety: a read.
 * Errors: IDR_E_INVALID_ARGUMENT (NULL argument); IDR_E_NOT_FOUND (unknown entity).
 */
idr_status idr_engine_how(idr_engine *engine, uint64_t entity, idr_text **out);

/**
 * The text, NUL-terminated, and its length through `out_len` (may be NULL); "" for NULL.
 *
 * Ownership: belongs to `text`.
 * Thread safety: any thread; a text is immutable.
 * Errors: none.
 */
const char *idr_text_data(const idr_text *text, size_t *out_len);

/**
 * Releases a text. NULL is a no-op.
 *
 * Ownership: `text` and its data are invalid afterwards.
 * Thread safety: not while another thread reads the same text.
 * Errors: none.
 */
void idr_text_free(idr_text *text);

#ifdef __cplusplus
}
#endif

#endif /* IDR_H */
