import CHwloc

extension Topology {
    /// The places of one kind inside the usable set, in topology order: each core's usable PUs,
    /// or each usable PU alone.
    public func places(_ kind: PlaceKind) -> [CPUSet] {
        switch kind {
        case .cores:
            let cores = objects(.core).map { $0.cpuSet.intersection(usableSet) }.filter { !$0.isEmpty }
            // A machine without Core objects (rare virtual ones) still has PUs.
            return cores.isEmpty ? places(.threads) : cores
        case .threads:
            return usableSet.indices.map { CPUSet([$0]) }
        }
    }

    /// The default number of workers: one per place of the usable set.
    public func defaultThreads(places kind: PlaceKind) -> Int {
        places(kind).count
    }

    /// Plans `threads` workers (nil: one per place) with `bind` over places of kind `places`.
    ///
    /// More workers than places is an error unless `oversubscribe` is set; then `close` wraps
    /// around and `spread` puts several workers on the same place. `none` may use as many workers
    /// as there are PUs in the usable set without `oversubscribe`.
    public func plan(threads: Int?, bind: BindPolicy, places kind: PlaceKind, oversubscribe: Bool = false)
        throws(PlacementError) -> PlacementPlan
    {
        let candidates = places(kind)
        guard !candidates.isEmpty else { throw .emptyUsableSet }
        let count = threads ?? candidates.count
        guard count >= 1 else { throw .zeroThreads }
        let limit = bind == .none ? usableSet.count : candidates.count
        if count > limit && !oversubscribe {
            throw .tooManyThreads(requested: count, available: limit, places: bind == .none ? .threads : kind)
        }
        let workers: [CPUSet?]
        switch bind {
        case .none:
            workers = Array(repeating: nil, count: count)
        case .close:
            workers = (0..<count).map { candidates[$0 % candidates.count] }
        case .spread:
            workers = distribute(count, over: candidates, kind: kind)
        }
        return PlacementPlan(bind: bind, places: kind, workers: workers, oversubscribed: count > limit)
    }

    /// Spreads `count` workers over the usable part of the machine with `hwloc_distrib`, down to
    /// the depth of the places, and gives each worker the place that holds the first PU of its
    /// share. hwloc walks packages, NUMA nodes and caches from the top, giving each a number of
    /// workers proportional to its PUs.
    private func distribute(_ count: Int, over candidates: [CPUSet], kind: PlaceKind) -> [CPUSet] {
        // A copy restricted to the usable set, so that hwloc weighs only PUs we may use.
        var restricted: hwloc_topology_t?
        guard hwloc_topology_dup(&restricted, handle) == 0, let restricted else {
            return (0..<count).map { candidates[$0 % candidates.count] }
        }
        defer { hwloc_topology_destroy(restricted) }
        let status = usableSet.withBitmap { hwloc_topology_restrict(restricted, $0, 0) }
        guard status == 0, let root = hwloc_get_root_obj(restricted) else {
            return (0..<count).map { candidates[$0 % candidates.count] }
        }
        let leafType = kind == .cores && hwloc_get_nbobjs_by_type(restricted, HWLOC_OBJ_CORE) > 0
            ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU
        let until = hwloc_get_type_depth(restricted, leafType)

        var shares = [hwloc_cpuset_t?](repeating: nil, count: count)
        var roots: [hwloc_obj_t?] = [root]
        _ = hwloc_distrib(restricted, &roots, 1, &shares, UInt32(count), until, 0)
        defer { for share in shares { hwloc_bitmap_free(share) } }
        return shares.enumerated().map { worker, share in
            guard let share, let pu = CPUSet(share).first,
                  let place = candidates.first(where: { $0.contains(pu) })
            else { return candidates[worker % candidates.count] }
            return place
        }
    }
}
