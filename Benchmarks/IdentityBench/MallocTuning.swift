#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator set up for one bulk run in this process: memory freed is kept and reused,
/// never handed back to the kernel.
///
/// Why: on the VMs we measure on, the first write to a fresh page costs far more than the
/// work done on it (1.3 GB of fresh pages took 0.9 to 4.5 s to fill, the same bytes 0.06 s a
/// second time; `/tmp/z.c` in session 15's note). By default glibc serves each large array
/// from a mapping of its own and unmaps it when freed, so a resolve that frees its hash index
/// (``Resolver/releaseIndex()``) and then allocates its link tables would fault them all in
/// afresh. With no mappings for large blocks, no trimming and one arena, those tables reuse
/// the pages the index had. The CLI only: the library never changes a process's allocator.
enum MallocTuning {
    /// Applies the settings; call before any thread starts (the arena limit counts threads'
    /// arenas as they are made). A setting glibc refuses changes timing only.
    static func keepFreedMemory() {
        #if canImport(Glibc)
        // The values of glibc's M_MMAP_MAX, M_TRIM_THRESHOLD and M_ARENA_MAX (malloc.h),
        // which Swift does not import.
        let mmapMax: Int32 = -4, trimThreshold: Int32 = -1, arenaMax: Int32 = -8
        _ = glibcMallopt(mmapMax, 0)
        _ = glibcMallopt(trimThreshold, Int32.max)
        _ = glibcMallopt(arenaMax, 1)
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `int mallopt(int, int)`: the Glibc module does not include malloc.h, and a C module
/// for one declaration would be more machinery than this.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
