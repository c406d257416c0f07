extension JSONValueEncoder {
    /// The members of an object, in the order they are encoded.
    struct Members<K: CodingKey>: KeyedEncodingContainerProtocol {
        let slot: Slot
        let codingPath: [any CodingKey]

        func encoder(_ key: any CodingKey) -> JSONValueEncoder {
            JSONValueEncoder(slot: slot.member(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func encodeNil(forKey key: K) throws { slot.member(key.stringValue).content = .value(.null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: K) throws {
            let encoded = try JSONValueEncoder.value(of: value, at: codingPath + [key])
            slot.member(key.stringValue).content = .value(encoded)
        }

        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: K) -> KeyedEncodingContainer<N> {
            encoder(key).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: K) -> any UnkeyedEncodingContainer { encoder(key).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder(PlainKey(stringValue: "super")) }
        mutating func superEncoder(forKey key: K) -> any Encoder { encoder(key) }
    }

    /// The elements of an array, in order.
    struct Elements: UnkeyedEncodingContainer {
        let slot: Slot
        let codingPath: [any CodingKey]

        var count: Int {
            if case let .array(slots) = slot.content { return slots.count }
            return 0
        }

        func encoder() -> JSONValueEncoder {
            let (element, index) = slot.element()
            return JSONValueEncoder(slot: element, codingPath: codingPath + [PlainKey(intValue: index)])
        }

        mutating func encodeNil() throws { encoder().slot.content = .value(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let element = encoder()
            element.slot.content = .value(try JSONValueEncoder.value(of: value, at: element.codingPath))
        }

        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
            encoder().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { encoder().unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder() }
    }

    /// One value in place of a container.
    struct Single: SingleValueEncodingContainer {
        let slot: Slot
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.content = .value(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            slot.content = .value(try JSONValueEncoder.value(of: value, at: codingPath))
        }
    }
}
