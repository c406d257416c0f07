import CHwloc

extension CPUSet {
    /// The set of the PUs in an hwloc bitmap. An infinite bitmap is cut at its last set index.
    init(_ bitmap: hwloc_const_bitmap_t) {
        var result: [Int] = []
        var index = hwloc_bitmap_first(bitmap)
        while index >= 0 {
            result.append(Int(index))
            index = hwloc_bitmap_next(bitmap, index)
        }
        self.init(result)
    }

    /// Runs `body` with a fresh hwloc bitmap holding this set, and frees it afterwards.
    func withBitmap<R>(_ body: (hwloc_bitmap_t) throws -> R) rethrows -> R {
        guard let bitmap = hwloc_bitmap_alloc() else {
            fatalError("hwloc_bitmap_alloc: out of memory")
        }
        defer { hwloc_bitmap_free(bitmap) }
        for index in indices { hwloc_bitmap_set(bitmap, UInt32(index)) }
        return try body(bitmap)
    }
}
