// An undefined value: a parse error.
module {
  func.func @f() {
    %0 = kiln.sqrt %x : tensor<4xf32>
  }
}
