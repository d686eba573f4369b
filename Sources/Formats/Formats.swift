// The Formats module. See ../shared/design/ARCHITECTURE.md for its place in the graph.
