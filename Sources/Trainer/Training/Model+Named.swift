extension Model {
    /// The built-in model called `name` (`mnist`, `digits`, `cifar`, `hwdb`, `classifier`);
    /// `inputShape` and `classes` apply where the architecture allows them (cifar: input; hwdb,
    /// classifier: input, classes).
    public static func named(_ name: String, inputShape: [Int]? = nil, classes: Int? = nil, seed: UInt64 = 0) -> Model?
    {
        switch name {
        case "mnist": return .mnist(seed: seed)
        case "digits": return .digits(seed: seed)
        case "cifar": return .cifar(inputShape: inputShape ?? [24, 24, 3], seed: seed)
        case "hwdb": return .hwdb(classes: classes ?? 3755, inputShape: inputShape ?? [64, 64, 1], seed: seed)
        case "classifier":
            return .classifier(classes: classes ?? 10, inputShape: inputShape ?? [64, 64, 1], seed: seed)
        default: return nil
        }
    }

    /// The names `named(_:)` knows.
    public static let builtinNames = ["mnist", "digits", "cifar", "hwdb", "classifier"]
}
