// The Trainer module. See ../shared/design/ARCHITECTURE.md for its place in the graph.
