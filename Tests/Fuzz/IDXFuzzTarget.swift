// libFuzzer target for the IDX reader (raw and gzipped): every input must load or throw an
// IDXError; a trap, an AddressSanitizer report or a leak is a crash. Built by Tools/fuzz
// together with the reader's sources, not by SwiftPM.

/// Reads `data` as a labels file and as an images file.
@_cdecl("LLVMFuzzerTestOneInput")
public func idxFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    for magic in [IDXFile.labelsMagic, IDXFile.imagesMagic] {
        do {
            let file = try IDXFile(decoding: bytes, path: "fuzz-input", magic: magic, convertedBytesPerItem: 4)
            precondition(file.bytes.count == MemoryBudget.product(file.dimensions), "IDXFile: payload does not match its dimensions")
        } catch {
            precondition(error.description.hasPrefix("fuzz-input"), "IDXError does not name the file: \(error)")
        }
    }
    return 0
}
