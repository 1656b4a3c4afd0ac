package io.mnemocore.hdv.kernel;

import java.util.Arrays;

/** The k nearest rows of one query, sorted by (distance, row). */
public final class TopK {
    private final int[] rows;
    private final int[] distances;

    public TopK(int[] rows, int[] distances) {
        if (rows.length != distances.length) {
            throw new IllegalArgumentException("rows and distances differ in length");
        }
        this.rows = rows;
        this.distances = distances;
    }

    public int size() {
        return rows.length;
    }

    public int row(int i) {
        return rows[i];
    }

    public int distance(int i) {
        return distances[i];
    }

    public int[] rows() {
        return rows.clone();
    }

    public int[] distances() {
        return distances.clone();
    }

    /** {@code row:distance} pairs separated by spaces, the bench's {@code --out} format. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(rows[i]).append(':').append(distances[i]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopK
                && Arrays.equals(rows, ((TopK) o).rows)
                && Arrays.equals(distances, ((TopK) o).distances);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(rows) + Arrays.hashCode(distances);
    }

    @Override
    public String toString() {
        return "TopK[" + format() + "]";
    }
}
