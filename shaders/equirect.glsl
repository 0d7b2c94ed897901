// Equirectangular maps (the glTF Sample Viewer / three.js / Blender convention, see
// renderer/studio.py): v = 0 looks up (+Y), u = 0.5 looks along +X, u = 0.25 along −Z.

const float EQUIRECT_PI = 3.14159265358979;

// atan2 and acos as short polynomials: llvmpipe expands the built-ins into long
// branch-free sequences on every fragment (≈1 ms of the DamagedHelmet's 27 ms colour
// pass, bench/render_profile.py). Errors: atan 2e-4 rad, acos 7e-5 rad (Abramowitz &
// Stegun 4.4.45), under a tenth of a texel of a 2048-wide map.
float equirect_atan2(float y, float x) {
    float ax = abs(x), ay = abs(y);
    float a = min(ax, ay) / max(max(ax, ay), 1e-30);
    float s = a * a;
    float r = ((-0.0464964749 * s + 0.15931422) * s - 0.327622764) * s * a + a;
    r = ay > ax ? 1.57079637 - r : r;
    r = x < 0.0 ? EQUIRECT_PI - r : r;
    return y < 0.0 ? -r : r;
}

float equirect_acos(float x) {
    float ax = abs(x);
    float r = sqrt(1.0 - ax) * (1.5707288 + ax * (-0.2121144 + ax * (0.0742610 - 0.0187293 * ax)));
    return x < 0.0 ? EQUIRECT_PI - r : r;
}

vec2 dir_to_equirect(vec3 d) {
    return vec2(equirect_atan2(d.z, d.x) / (2.0 * EQUIRECT_PI) + 0.5,
                equirect_acos(clamp(d.y, -1.0, 1.0)) / EQUIRECT_PI);
}

vec3 equirect_to_dir(vec2 uv) {
    float phi = (uv.x - 0.5) * 2.0 * EQUIRECT_PI;
    float theta = uv.y * EQUIRECT_PI;
    return vec3(sin(theta) * cos(phi), cos(theta), sin(theta) * sin(phi));
}

// A world direction in the frame of an environment turned by angle a about +Y
// (cs = (cos a, sin a)): the inverse turn.
vec3 env_frame(vec3 w, vec2 cs) {
    return vec3(cs.x * w.x - cs.y * w.z, w.y, cs.y * w.x + cs.x * w.z);
}
