# Writes Keras 3 config.json and Keras 2 to_json() forms of a two-input,
# two-output Functional model (hand-written; Keras is not installed).
import json, sys
DT = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
def init(c): return {"module": "keras.initializers", "class_name": c, "config": {"seed": None} if c != "Zeros" else {}, "registered_name": None}
def dense(name, units, act):
    return {"name": name, "trainable": True, "dtype": DT, "units": units, "activation": act, "use_bias": True,
            "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None, "lora_rank": None}
def k3ref(name): return {"class_name": "__keras_tensor__", "config": {"shape": None, "dtype": "float32", "keras_history": [name, 0, 0]}}
def k3(cls, cfg, inputs, multi=False):
    node = [] if inputs is None else [{"args": [[k3ref(i) for i in inputs]] if multi else [k3ref(inputs[0])], "kwargs": {}}]
    return {"module": "keras.layers", "class_name": cls, "config": cfg, "name": cfg["name"], "inbound_nodes": node, "registered_name": None}
def k2(cls, cfg, inputs, multi=False):
    node = [] if inputs is None else [[[i, 0, 0, {}] for i in inputs]]
    return {"class_name": cls, "config": cfg, "name": cfg["name"], "inbound_nodes": node}
def layers(mk, k2style):
    img = {"batch_shape" if not k2style else "batch_input_shape": [None, 28, 28], "dtype": "float32", "sparse": False, "name": "image"}
    ext = {"batch_shape" if not k2style else "batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "extra"}
    return [mk("InputLayer", img, None), mk("InputLayer", ext, None),
            mk("Flatten", {"name": "flat", "trainable": True, "dtype": DT, "data_format": "channels_last"}, ["image"]),
            mk("Rescaling", {"name": "scale", "trainable": True, "dtype": DT, "scale": 1/255, "offset": 0.0}, ["flat"]),
            mk("Dense", dense("features", 16, "relu"), ["scale"]),
            mk("Dense", dense("meta", 8, "tanh"), ["extra"]),
            mk("Concatenate", {"name": "joined", "trainable": True, "dtype": DT, "axis": -1}, ["features", "meta"], True),
            mk("Dense", dense("label", 10, "softmax"), ["joined"]),
            mk("Dense", dense("score", 2, "linear"), ["joined"])]
adam = {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001, "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}, "registered_name": None}
k3model = {"module": "keras.src.models.functional", "class_name": "Functional",
           "config": {"name": "two_heads", "trainable": True, "layers": layers(k3, False),
                      "input_layers": [["image", 0, 0], ["extra", 0, 0]], "output_layers": [["label", 0, 0], ["score", 0, 0]]},
           "registered_name": "Functional",
           "compile_config": {"optimizer": adam, "loss": {"label": "sparse_categorical_crossentropy", "score": "mean_squared_error"},
                              "loss_weights": {"label": 1.0, "score": 0.5}, "metrics": {"label": ["accuracy"], "score": ["mae"]},
                              "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}}
k2model = {"class_name": "Functional", "config": {"name": "two_heads", "layers": layers(k2, True),
           "input_layers": [["image", 0, 0], ["extra", 0, 0]], "output_layers": [["label", 0, 0], ["score", 0, 0]]},
           "keras_version": "2.15.0", "backend": "tensorflow",
           # HDF5 attributes: the list forms, one entry per output.
           "training_config": {"loss": ["sparse_categorical_crossentropy", {"class_name": "MeanSquaredError", "config": {"reduction": "auto", "name": "mean_squared_error"}}],
                               "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "acc", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}], ["mae"]],
                               "weighted_metrics": None, "loss_weights": [1.0, 0.5],
                               "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}}
out = sys.argv[1]
json.dump(k3model, open(out + "/multi_io_keras3.json", "w"))
json.dump(k2model, open(out + "/multi_io_keras2.json", "w"))
