// Valid IR, but not a model: @forward and @evaluate are missing.
module {
  func.func @loss() {
    return
  }
}
