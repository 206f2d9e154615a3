package io.instructembed.settings;

import java.util.Locale;

/**
 * What {@code instruct_embed.device} (or a pack's override) asks for: {@code auto} (CUDA when the
 * GPU runtime loads, else CPU), {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}.
 */
public record DeviceRequest(Mode mode, int cudaIndex) {
    public enum Mode {
        AUTO,
        CPU,
        CUDA
    }

    public static final DeviceRequest AUTO = new DeviceRequest(Mode.AUTO, 0);

    public static DeviceRequest parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                return AUTO;
            case "cpu":
                return new DeviceRequest(Mode.CPU, 0);
            case "cuda":
                return new DeviceRequest(Mode.CUDA, 0);
            default:
                if (v.startsWith("cuda:")) {
                    try {
                        int index = Integer.parseInt(v.substring(5));
                        if (index >= 0) {
                            return new DeviceRequest(Mode.CUDA, index);
                        }
                    } catch (NumberFormatException e) {
                        // falls through to the error below
                    }
                }
                throw new IllegalArgumentException("device must be one of [auto, cpu, cuda, cuda:N], got [" + value + "]");
        }
    }

    @Override
    public String toString() {
        return switch (mode) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case CUDA -> "cuda:" + cudaIndex;
        };
    }
}
