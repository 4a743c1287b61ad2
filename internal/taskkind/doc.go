// Package taskkind is the extension point of task kinds. A kind is one
// Kind value, registered from its own package (internal/kinds/NAME) with
// Register: the task key that selects it, the decoding and validation of
// its block, its templates, its rendering for an attempt and, for a kind
// workers run, its executor.
//
// The layers that handle tasks reach a kind only through this package:
// workflow decodes and checks a block with the kind's Decode (through the
// Decoder it implements), the engine renders an attempt with the kind's
// Prepare (through the Renderer it implements) or starts a server kind's
// tasks, and the worker runs an attempt with the kind's Execute (through
// the Execution it implements). Kind packages import this package, the
// client and the standard library, never workflow, engine or worker, so
// that every layer can import every kind (internal/kinds/all) without a
// cycle.
package taskkind
