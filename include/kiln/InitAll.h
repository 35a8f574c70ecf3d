//===- InitAll.h - Register every dialect and pass Kiln uses ----*- C++ -*-===//

#ifndef KILN_INITALL_H
#define KILN_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// Registers the kiln dialect and every upstream dialect (and interface
/// external model) that the compilation pipeline produces.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers kiln's passes, the upstream passes its pipelines use, and the
/// named pipelines, so that kiln-opt can run each stage alone.
void registerAllPasses();

} // namespace kiln

#endif // KILN_INITALL_H
