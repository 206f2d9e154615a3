package io.instructembed.model;

/** Where a model runs: the CPU, or one CUDA device. */
public record Device(boolean cuda, int index) {
    public static final Device CPU = new Device(false, 0);

    public static Device cuda(int index) {
        return new Device(true, index);
    }

    @Override
    public String toString() {
        return cuda ? "cuda:" + index : "cpu";
    }
}
