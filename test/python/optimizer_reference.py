#!/usr/bin/env python3
"""Reference numbers for unittests/runtime/OptimizerTest.cpp.

Re-implements the update rules of Keras 3 (keras/src/optimizers/*.py,
`update_step`, plus BaseOptimizer's clipping and weight decay) in float64
numpy and prints three steps of each optimizer on fixed parameters and
gradients. Run with Debian's /usr/bin/python3 (numpy).
"""
import numpy as np

P0 = np.array([0.5, -1.0, 2.0])
GRADS = [np.array([0.1, -0.2, 0.3]), np.array([0.05, 0.3, -0.1]),
         np.array([-0.4, 0.0, 0.2])]


def run(name, update, state, lr=0.01, wd=0.0, clip=None):
    p = P0.copy()
    print(name)
    for t, g in enumerate(GRADS, start=1):
        g = g.copy()
        if clip:
            g = clip(g)
        if wd:
            p = p - p * wd * lr
        p = update(p, g, state, t, lr)
        print("  {" + ", ".join("%.9g" % x for x in p) + "},")


def sgd(momentum=0.0, nesterov=False):
    def f(p, g, s, t, lr):
        if momentum == 0:
            return p - g * lr
        s["m"] = s["m"] * momentum - g * lr
        if nesterov:
            return p + s["m"] * momentum - g * lr
        return p + s["m"]
    return f


def adam(b1=0.9, b2=0.999, eps=1e-7, amsgrad=False):
    def f(p, g, s, t, lr):
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
        v = s["v"]
        if amsgrad:
            s["vh"] = np.maximum(s["vh"], s["v"])
            v = s["vh"]
        return p - s["m"] * alpha / (np.sqrt(v) + eps)
    return f


def rmsprop(rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    def f(p, g, s, t, lr):
        s["v"] = rho * s["v"] + (1 - rho) * g * g
        if centered:
            s["a"] = rho * s["a"] + (1 - rho) * g
            den = s["v"] - s["a"] ** 2 + eps
        else:
            den = s["v"] + eps
        inc = lr * g / np.sqrt(den)
        if momentum > 0:
            s["mom"] = momentum * s["mom"] + inc
            return p - s["mom"]
        return p - inc
    return f


def adagrad(eps=1e-7):
    def f(p, g, s, t, lr):
        s["acc"] = s["acc"] + g * g
        return p - lr * g / np.sqrt(s["acc"] + eps)
    return f


def adadelta(rho=0.95, eps=1e-7):
    def f(p, g, s, t, lr):
        s["ag"] = rho * s["ag"] + (1 - rho) * g * g
        d = -np.sqrt(s["ad"] + eps) * g / np.sqrt(s["ag"] + eps)
        s["ad"] = rho * s["ad"] + (1 - rho) * d * d
        return p + lr * d
    return f


def adamax(b1=0.9, b2=0.999, eps=1e-7):
    def f(p, g, s, t, lr):
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["u"] = np.maximum(b2 * s["u"], np.abs(g))
        return p - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))
    return f


def nadam(b1=0.9, b2=0.999, eps=1e-7):
    def f(p, g, s, t, lr):
        ut = b1 * (1 - 0.5 * 0.96 ** t)
        ut1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["prod"] = s["prod"] * ut
        prod1 = s["prod"] * ut1
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
        mh = ut1 * s["m"] / (1 - prod1) + (1 - ut) * g / (1 - s["prod"])
        vh = s["v"] / (1 - b2 ** t)
        return p - mh * lr / (np.sqrt(vh) + eps)
    return f


def zeros(*names, value=0.0):
    return {n: np.full(3, value) for n in names}


def clipnorm(c):
    return lambda g: g * c / max(np.sqrt(np.sum(g * g)), c)


run("sgd lr 0.1", sgd(), {}, lr=0.1)
run("sgd momentum 0.9", sgd(0.9), zeros("m"), lr=0.1)
run("sgd nesterov 0.9", sgd(0.9, True), zeros("m"), lr=0.1)
run("adam amsgrad", adam(amsgrad=True), zeros("m", "v", "vh"))
run("adamw wd 0.004 lr 0.01", adam(), zeros("m", "v"), wd=0.004)
run("rmsprop", rmsprop(), zeros("v"))
run("rmsprop momentum 0.5 centered", rmsprop(momentum=0.5, centered=True),
    zeros("v", "a", "mom"))
run("adagrad", adagrad(), zeros("acc", value=0.1))
run("adadelta lr 1", adadelta(), zeros("ag", "ad"), lr=1.0)
run("adamax", adamax(), zeros("m", "u"))
s = zeros("m", "v")
s["prod"] = 1.0
run("nadam", nadam(), s)
run("sgd clipnorm 0.25 lr 0.1", sgd(), {}, lr=0.1, clip=clipnorm(0.25))
run("sgd clipvalue 0.15 lr 0.1", sgd(), {}, lr=0.1,
    clip=lambda g: np.clip(g, -0.15, 0.15))
