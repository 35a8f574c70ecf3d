// An op its verifier refuses.
module {
  func.func @f(%x: tensor<4xi32>) {
    %0 = kiln.sqrt %x : tensor<4xi32>
    return
  }
}
