// The Synth module. See ../shared/design/ARCHITECTURE.md for its place in the graph.
