// The seed MLP's @loss as the frontend emits it (Flatten, Dense 128 relu,
// Dense 10 softmax; sparse categorical cross-entropy and accuracy).
module attributes {kiln.model = {name = "seed"}} {
  func.func @loss(%w1: tensor<784x128xf32> {kiln.param = {name = "dense/kernel", initializer = "glorot_uniform"}},
                  %b1: tensor<128xf32> {kiln.param = {name = "dense/bias", initializer = "zeros"}},
                  %w2: tensor<128x10xf32> {kiln.param = {name = "dense_1/kernel", initializer = "glorot_uniform"}},
                  %b2: tensor<10xf32> {kiln.param = {name = "dense_1/bias", initializer = "zeros"}},
                  %x: tensor<?x28x28xf32> {kiln.input = "x"},
                  %y: tensor<?xi32> {kiln.label = "y"}) -> (tensor<f32>, tensor<f32>) {
    %s = kiln.scale %x {scale = 0.00392156886 : f32} : tensor<?x28x28xf32>
    %f = kiln.reshape %s : (tensor<?x28x28xf32>) -> tensor<?x784xf32>
    %m1 = kiln.matmul %f, %w1 : (tensor<?x784xf32>, tensor<784x128xf32>) -> tensor<?x128xf32>
    %a1 = kiln.add %m1, %b1 : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
    %h = kiln.relu %a1 : tensor<?x128xf32>
    %m2 = kiln.matmul %h, %w2 : (tensor<?x128xf32>, tensor<128x10xf32>) -> tensor<?x10xf32>
    %a2 = kiln.add %m2, %b2 : (tensor<?x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    %p = kiln.softmax %a2 : tensor<?x10xf32>
    %l = kiln.sparse_categorical_crossentropy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    %acc = kiln.sparse_categorical_accuracy %p, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    return %l, %acc : tensor<f32>, tensor<f32>
  }
}
