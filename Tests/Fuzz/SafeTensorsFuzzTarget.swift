// libFuzzer target for the safetensors reader: every input must load or throw a
// CheckpointError; a trap, an AddressSanitizer report or a leak is a crash. Built by Tools/fuzz
// together with the reader's sources, not by SwiftPM.
import Foundation

/// Decodes `data` as a safetensors file.
@_cdecl("LLVMFuzzerTestOneInput")
public func safeTensorsFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = data.map { Data(bytes: $0, count: count) } ?? Data()
    do {
        let file = try SafeTensors(decoding: bytes, path: "fuzz-input")
        for tensor in file.tensors {
            precondition(tensor.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue } == tensor.values.count,
                         "SafeTensors: \(tensor.name) has \(tensor.values.count) values for shape \(tensor.shape)")
        }
    } catch {
        precondition(error.description.hasPrefix("fuzz-input"), "CheckpointError does not name the file: \(error)")
    }
    return 0
}
