@testable import EHXShared

extension JSONValue {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
