;; The int8 vector scan of a search, in WebAssembly SIMD (compiled by tools/build-wasm.mjs into
;; workers/int8-scan-module.ts; see workers/int8-scan.ts for the JavaScript side).
;;
;; Rows are int8 codes with one float32 scale each (store/quantized-vectors.ts), packed row after
;; row in the memory the index was loaded into. The query arrives as int16 (|q| <= 16383) with one
;; float32 scale, so a row's dot product is a sum of int8 x int16 products in int32: 16 codes at a
;; time are widened to int16 and multiplied pairwise into four int32 lanes (i32x4.dot_i16x8_s).
;; Each product is below 2^21 and a lane of the two accumulators together adds at most dims / 4
;; pairs of them, so at up to 1024 dimensions no sum can overflow. Dimensions past the last whole
;; 16 are added one at a time.
(module
  (import "env" "memory" (memory 1))

  ;; The int32 dot product of the row at $row (int8) with the query at $query (int16): 32 codes a
  ;; turn into two accumulators (two independent chains of adds, and half the loop's own work), then
  ;; one turn of 16 if left, then the codes past the last whole 16 one at a time. Integer sums: the
  ;; order they add up in changes nothing.
  (func $dot (param $row i32) (param $query i32) (param $dims i32) (result i32)
    (local $end i32)
    (local $acc v128)
    (local $acc2 v128)
    (local $codes v128)
    (local $codes2 v128)
    (local $sum i32)
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $acc2 (v128.const i32x4 0 0 0 0))
    ;; $end: the row's first byte past its last whole 32 codes.
    (local.set $end (i32.add (local.get $row) (i32.and (local.get $dims) (i32.const -32))))
    (block $pairs
      (loop $thirtytwo
        (br_if $pairs (i32.ge_u (local.get $row) (local.get $end)))
        (local.set $codes (v128.load (local.get $row)))
        (local.set $codes2 (v128.load offset=16 (local.get $row)))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $codes)) (v128.load (local.get $query)))))
        (local.set $acc2
          (i32x4.add (local.get $acc2)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $codes)) (v128.load offset=16 (local.get $query)))))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $codes2)) (v128.load offset=32 (local.get $query)))))
        (local.set $acc2
          (i32x4.add (local.get $acc2)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $codes2)) (v128.load offset=48 (local.get $query)))))
        (local.set $row (i32.add (local.get $row) (i32.const 32)))
        (local.set $query (i32.add (local.get $query) (i32.const 64)))
        (br $thirtytwo)))
    ;; One more 16 when dims modulo 32 is 16 or more.
    (if (i32.and (local.get $dims) (i32.const 16))
      (then
        (local.set $codes (v128.load (local.get $row)))
        (local.set $acc
          (i32x4.add (local.get $acc)
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $codes)) (v128.load (local.get $query)))))
        (local.set $acc2
          (i32x4.add (local.get $acc2)
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $codes)) (v128.load offset=16 (local.get $query)))))
        (local.set $row (i32.add (local.get $row) (i32.const 16)))
        (local.set $query (i32.add (local.get $query) (i32.const 32)))))
    (local.set $acc (i32x4.add (local.get $acc) (local.get $acc2)))
    (local.set $sum
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
        (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    ;; The tail: dims modulo 16 codes, one at a time.
    (local.set $end (i32.add (local.get $row) (i32.and (local.get $dims) (i32.const 15))))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
        (local.set $sum
          (i32.add (local.get $sum)
            (i32.mul (i32.load8_s (local.get $row)) (i32.load16_s (local.get $query)))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (local.set $query (i32.add (local.get $query) (i32.const 2)))
        (br $one)))
    (local.get $sum))

  ;; Scores of rows 0 .. $rows - 1: out[row] = dot(row, query) x scales[row] x $queryScale.
  (func (export "scanAll")
    (param $codes i32) (param $scales i32) (param $rows i32) (param $dims i32)
    (param $query i32) (param $queryScale f32) (param $out i32)
    (local $row i32)
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 2)))
          (f32.mul
            (f32.mul
              (f32.convert_i32_s
                (call $dot (i32.add (local.get $codes) (i32.mul (local.get $row) (local.get $dims))) (local.get $query) (local.get $dims)))
              (f32.load (i32.add (local.get $scales) (i32.shl (local.get $row) (i32.const 2)))))
            (local.get $queryScale)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))))
