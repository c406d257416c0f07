import CHwloc

extension Topology {
    /// Binds the calling thread to `set`, so that the OS runs it only there.
    /// The corresponding hwloc call is `hwloc_set_cpubind` with `HWLOC_CPUBIND_THREAD`.
    public func bindCurrentThread(to set: CPUSet) throws(TopologyError) {
        guard isThisSystem else { throw .notThisSystem }
        let result = set.withBitmap { bitmap in
            hwloc_set_cpubind(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue))
        }
        try TopologyError.check(result, "hwloc_set_cpubind")
    }

    /// The PUs the calling thread is bound to, as the OS reports it now.
    /// The corresponding hwloc call is `hwloc_get_cpubind` with `HWLOC_CPUBIND_THREAD`.
    public func currentThreadBinding() throws(TopologyError) -> CPUSet {
        guard isThisSystem else { throw .notThisSystem }
        guard let bitmap = hwloc_bitmap_alloc() else { fatalError("hwloc_bitmap_alloc: out of memory") }
        defer { hwloc_bitmap_free(bitmap) }
        try TopologyError.check(
            hwloc_get_cpubind(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue)), "hwloc_get_cpubind")
        return CPUSet(bitmap)
    }

    /// The PU the calling thread ran on most recently (it may move right after).
    /// The corresponding hwloc call is `hwloc_get_last_cpu_location` with `HWLOC_CPUBIND_THREAD`.
    public func currentThreadLastCPU() throws(TopologyError) -> Int {
        guard isThisSystem else { throw .notThisSystem }
        guard let bitmap = hwloc_bitmap_alloc() else { fatalError("hwloc_bitmap_alloc: out of memory") }
        defer { hwloc_bitmap_free(bitmap) }
        try TopologyError.check(
            hwloc_get_last_cpu_location(handle, bitmap, Int32(HWLOC_CPUBIND_THREAD.rawValue)),
            "hwloc_get_last_cpu_location")
        guard let cpu = CPUSet(bitmap).first else { throw .hwloc(call: "hwloc_get_last_cpu_location", errno: 0) }
        return cpu
    }
}
