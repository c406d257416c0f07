import ArgumentParser
import Parallel

extension ExecutorKind: ExpressibleByArgument {}
