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

/// A place the calling thread is bound to for a while, and room for the binding it had: two hwloc
/// bitmaps allocated once, for `WorkerPool.pinningCaller`.
final class CallerBinding {
    let topology: Topology
    private let place: hwloc_bitmap_t
    private let saved: hwloc_bitmap_t

    init(place: CPUSet, topology: Topology) {
        guard let bitmap = hwloc_bitmap_alloc(), let saved = hwloc_bitmap_alloc() else {
            fatalError("hwloc_bitmap_alloc: out of memory")
        }
        for index in place.indices { hwloc_bitmap_set(bitmap, UInt32(index)) }
        self.topology = topology
        self.place = bitmap
        self.saved = saved
    }

    deinit {
        hwloc_bitmap_free(place)
        hwloc_bitmap_free(saved)
    }

    /// Keeps the calling thread's binding, then binds it to the place.
    func pin() throws(TopologyError) {
        guard topology.isThisSystem else { throw .notThisSystem }
        let flags = Int32(HWLOC_CPUBIND_THREAD.rawValue)
        _ = try TopologyError.check(hwloc_get_cpubind(topology.handle, saved, flags), "hwloc_get_cpubind")
        _ = try TopologyError.check(hwloc_set_cpubind(topology.handle, place, flags), "hwloc_set_cpubind")
    }

    /// Binds the calling thread as it was before `pin`.
    func restore() {
        _ = hwloc_set_cpubind(topology.handle, saved, Int32(HWLOC_CPUBIND_THREAD.rawValue))
    }
}
